import { describe, expect, it } from 'vitest';
import { afterPromotionLogEvidence, judgeAfterPromotion } from '../../../src/core/judge/after-promotion.ts';
import { Random } from '../../../src/sim/random.ts';

/** Looks a bake takes: `looks` minutes of `perMinute` requests at error rate `rate`; true when it ever restores. */
function everRestores(rng: Random, rate: number, bar: number, alpha: number, looks: number, perMinute: number): boolean {
  let requests = 0;
  let errors = 0;
  for (let look = 0; look < looks; look++) {
    requests += perMinute;
    errors += rng.binomial(perMinute, rate);
    if (judgeAfterPromotion({ bar, alpha, requests, errors }).worse) return true;
  }
  return false;
}

describe('judging the promoted version against the bar it was promoted under', () => {
  it('restores a version erring at the bar in at most α of bakes, however often it looks', () => {
    const rng = new Random(7);
    const runs = 2000;
    let restored = 0;
    for (let run = 0; run < runs; run++) if (everRestores(rng, 0.01, 0.01, 0.01, 60, 500)) restored++;

    // α = 1%: 20 of 2,000 expected at most; a binomial's 3σ above it is 33.
    expect(restored).toBeLessThanOrEqual(33);
  });

  it('restores a version erring at three times the bar within minutes', () => {
    const rng = new Random(11);
    let caught = 0;
    for (let run = 0; run < 200; run++) if (everRestores(rng, 0.03, 0.01, 0.01, 10, 500)) caught++;

    expect(caught).toBeGreaterThanOrEqual(195);
  });

  it('gathers no evidence from no requests, and less from errors under the bar than at it', () => {
    expect(afterPromotionLogEvidence(0.01, 0, 0)).toBe(0);
    expect(afterPromotionLogEvidence(0.01, 10_000, 50)).toBeLessThan(afterPromotionLogEvidence(0.01, 10_000, 100));
  });

  it('says what it saw in words and rates', () => {
    expect(judgeAfterPromotion({ bar: 0.01, alpha: 0.01, requests: 5000, errors: 200 })).toEqual({
      worse: true,
      summary: 'promoted version fails above the 1.00% bar it was promoted under, 99% sure: 4.00% errors since promotion (200 of 5,000)',
    });
    expect(judgeAfterPromotion({ bar: 0.01, alpha: 0.01, requests: 5000, errors: 40 }).summary).toBe('no sign above the 1.00% bar it was promoted under: 0.80% errors since promotion (40 of 5,000)');
  });
});
