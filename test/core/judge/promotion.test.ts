import { describe, expect, it } from 'vitest';
import {
  generalisedPoissonQuantile,
  promotionAlternative,
  promotionChance,
  promotionChanceAfter,
  promotionLogEvidence,
  promotionPassed,
  promotionRequestsQuantile,
  sprtRequests,
  type PromotionTest,
} from '../../../src/core/judge/promotion.ts';
import { Random } from '../../../src/sim/random.ts';

const TEST: PromotionTest = { bar: 0.01, alternative: 0.005, alpha: 0.01 };

/** Requests until the test passes for one candidate erring at `rate`, looking every `every` requests (Infinity past `limit`). */
function requestsToPass(rng: Random, test: PromotionTest, rate: number, every: number, limit: number): number {
  let requests = 0;
  let errors = 0;
  while (requests < limit) {
    requests += every;
    errors += rng.binomial(every, rate);
    if (promotionPassed(test, requests, errors)) return requests;
  }
  return Infinity;
}

describe('the promotion test', () => {
  it.each([
    { requests: 0, errors: 0, evidence: 0 },
    { requests: 1000, errors: 0, evidence: 1000 * Math.log(0.995 / 0.99) },
    { requests: 1000, errors: 5, evidence: 5 * Math.log(0.5) + 995 * Math.log(0.995 / 0.99) },
  ])('weighs $errors errors in $requests requests as ln Λ = $evidence', ({ requests, errors, evidence }) => {
    expect(promotionLogEvidence(TEST, requests, errors)).toBeCloseTo(evidence, 10);
  });

  it('passes once the likelihood ratio reaches 1/α, and not before', () => {
    // ln(100) / ln(0.995/0.99) = 914.1 requests without an error.
    expect(promotionPassed(TEST, 914, 0)).toBe(false);
    expect(promotionPassed(TEST, 915, 0)).toBe(true);
    // Each error costs ln 2 of evidence (and its own request): about 139 more requests.
    expect(promotionPassed(TEST, 1052, 1)).toBe(false);
    expect(promotionPassed(TEST, 1053, 1)).toBe(true);
  });

  it('never takes zero as its alternative, so a function that never failed before can still survive an error', () => {
    expect(promotionAlternative(0, 0.004)).toBe(0.001);
    expect(promotionAlternative(0.005, 0.01)).toBe(0.005);
    expect(promotionAlternative(0.0099, 0.01)).toBeCloseTo(0.009, 12);
    const fromZero: PromotionTest = { bar: 0.004, alternative: promotionAlternative(0, 0.004), alpha: 0.01 };
    expect(promotionPassed(fromZero, 20_000, 1)).toBe(true);
  });

  it('promotes a candidate at the bar in at most α of runs, however often it looks (2,000 runs, a look every 50 requests)', () => {
    const rng = new Random(7);
    const test: PromotionTest = { bar: 0.02, alternative: 0.005, alpha: 0.05 };
    let promoted = 0;
    for (let run = 0; run < 2000; run++) if (Number.isFinite(requestsToPass(rng.reseed(run, 1), test, test.bar, 50, 30_000))) promoted++;
    // α = 5%: 100 expected at most; three standard deviations of a binomial(2000, 5%) is ±29.
    expect(promoted / 2000).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt(0.05 * 0.95 / 2000));
    expect(promoted).toBeGreaterThan(0);
  });

  it('promotes a candidate at 1.2× the bar far more rarely still', () => {
    const rng = new Random(8);
    const test: PromotionTest = { bar: 0.02, alternative: 0.005, alpha: 0.05 };
    let promoted = 0;
    for (let run = 0; run < 2000; run++) if (Number.isFinite(requestsToPass(rng.reseed(run, 2), test, 1.2 * test.bar, 50, 30_000))) promoted++;
    expect(promoted / 2000).toBeLessThan(0.02);
  });

  it('needs about what the ideal sequential test of the same bar needs, on average', () => {
    // The mean of the generalised Poisson law: n₀ + k·θ/(1 − λ).
    const c = Math.log(0.995 / 0.99);
    const k = (c + Math.log(2)) / c;
    const n0 = Math.log(100) / c;
    const mean = n0 + (k * 0.005 * n0) / (1 - 0.005 * k);
    expect(mean / sprtRequests(0.005, 0.01, 0.01)).toBeLessThan(1.01);
  });

  it('forecasts the requests to promotion as the simulation finds them (median and 95th percentile within 5%)', () => {
    const rng = new Random(9);
    const runs = Array.from({ length: 3000 }, (_, run) => requestsToPass(rng.reseed(run, 3), TEST, 0.005, 1, 100_000)).sort((a, b) => a - b);
    expect(Math.abs(promotionRequestsQuantile(TEST, 0.005, 0.5) / runs[1500]! - 1)).toBeLessThan(0.05);
    expect(Math.abs(promotionRequestsQuantile(TEST, 0.005, 0.95) / runs[2850]! - 1)).toBeLessThan(0.05);
  });

  it('says a candidate at or beyond the point where evidence stops growing is not expected to pass', () => {
    expect(promotionRequestsQuantile(TEST, 0.0075, 0.5)).toBe(Infinity);
    expect(promotionRequestsQuantile(TEST, 0.02, 0.5)).toBe(Infinity);
    expect(promotionRequestsQuantile(TEST, 0.005, 0.5, 1000)).toBe(Infinity);
  });

  it('reads quantiles of the generalised Poisson law', () => {
    expect(generalisedPoissonQuantile(0, 0.5, 0.99)).toBe(0);
    // λ = 0 is the Poisson law: its median at θ = 4.5 is 4, its 95th percentile 8.
    expect(generalisedPoissonQuantile(4.5, 0, 0.5)).toBe(4);
    expect(generalisedPoissonQuantile(4.5, 0, 0.95)).toBe(8);
  });
});

describe('the chance of a promotion within so many requests', () => {
  it('reads the law of the forecast’s quantiles the other way', () => {
    for (const q of [0.5, 0.95]) {
      const requests = promotionRequestsQuantile(TEST, 0.005, q);
      expect(promotionChance(TEST, 0.005, requests)).toBeGreaterThanOrEqual(q);
      // One error's worth of requests (≈ 139 here) fewer, and the chance is under q.
      expect(promotionChance(TEST, 0.005, requests - 140)).toBeLessThan(q);
    }
    expect(promotionChance(TEST, 0.005, 100)).toBe(0);
  });
});


describe('the chance of a promotion that may come only once the final weight has served its share', () => {
  it('is the chance of passing at any time when nothing is held', () => {
    expect(promotionChanceAfter(TEST, 0.005, 0, 9_000)).toBe(promotionChance(TEST, 0.005, 9_000));
  });

  it('is lower when the share ends late, since evidence that crossed and fell back must cross again', () => {
    const anyTime = promotionChance(TEST, 0.005, 9_000);
    const afterShare = promotionChanceAfter(TEST, 0.005, 8_000, 9_000);
    const atTheEnd = promotionChanceAfter(TEST, 0.005, 9_000, 9_000);
    expect(afterShare).toBeLessThan(anyTime);
    expect(atTheEnd).toBeLessThan(afterShare);
    expect(atTheEnd).toBeLessThan(anyTime - 0.01);
  });

  it('matches candidates simulated request by request, looked at from the end of the share on', () => {
    const rng = new Random(11);
    const runs = 4_000;
    let promoted = 0;
    for (let run = 0; run < runs; run++) {
      let errors = 0;
      for (let requests = 1; requests <= 9_000; requests++) {
        if (rng.uniform() < 0.005) errors++;
        if (requests >= 8_000 && promotionPassed(TEST, requests, errors)) {
          promoted++;
          break;
        }
      }
    }
    // Four thousand runs: a standard error of about 0.6 points.
    expect(Math.abs(promoted / runs - promotionChanceAfter(TEST, 0.005, 8_000, 9_000))).toBeLessThan(0.02);
  });
});
