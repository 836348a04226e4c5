import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/sim/random.ts';
import {
  addPairedMinute,
  klBernoulli,
  logEvidenceWorse,
  logMixture,
  lookLevel,
  RATIO_GRID,
  RATIO_ONE,
  ratioConfidence,
  rateExceeds,
  binomialUpperTail,
} from '../../../src/core/judge/stats.ts';

const TWO = RATIO_GRID.indexOf(2);

function freshGrid(): number[] {
  return RATIO_GRID.map(() => 0);
}

describe('klBernoulli', () => {
  it('matches values computed by hand', () => {
    // 0.01·ln(0.01/0.005) + 0.99·ln(0.99/0.995)
    expect(klBernoulli(0.01, 0.005)).toBeCloseTo(0.01 * Math.log(2) + 0.99 * Math.log(0.99 / 0.995), 15);
    expect(klBernoulli(0.3, 0.3)).toBe(0);
    expect(klBernoulli(0, 0.2)).toBeCloseTo(-Math.log(0.8), 15);
  });
});

describe('the paired-count test', () => {
  it('keeps the conditional-binomial likelihood ratio of each grid ratio, as computed by hand', () => {
    // Equal invocations: an error is the candidate's with probability 1/2 under ρ = 1 and 2/3 under ρ = 2.
    const logLr = freshGrid();
    addPairedMinute(logLr, RATIO_GRID, 500, 500, 7, 3);
    expect(logLr[TWO]).toBeCloseTo(7 * Math.log(4 / 3) + 3 * Math.log(2 / 3), 12);
    expect(logLr[RATIO_ONE]).toBeCloseTo(0, 15);
  });

  it("reaches Wald's SPRT boundary ln(1/α) exactly where the one-point test says", () => {
    // With π = 1/2 and no stable errors, each candidate error multiplies LR(2 : 1) by 4/3:
    // the SPRT at α = 1% rejects at ⌈ln 100 / ln(4/3)⌉ = 17 errors, not at 16.
    const boundary = Math.log(100);
    const at16 = freshGrid();
    addPairedMinute(at16, RATIO_GRID, 1000, 1000, 16, 0);
    const at17 = freshGrid();
    addPairedMinute(at17, RATIO_GRID, 1000, 1000, 17, 0);
    expect(logMixture(at16, RATIO_ONE, [TWO], [1])).toBeLessThan(boundary);
    expect(logMixture(at17, RATIO_ONE, [TWO], [1])).toBeGreaterThanOrEqual(boundary);
  });

  it('is the same whether minutes are added one by one or the weights change between them', () => {
    const byMinute = freshGrid();
    addPairedMinute(byMinute, RATIO_GRID, 60, 540, 1, 3);
    addPairedMinute(byMinute, RATIO_GRID, 300, 300, 2, 1);
    const other = freshGrid();
    addPairedMinute(other, RATIO_GRID, 300, 300, 2, 1);
    addPairedMinute(other, RATIO_GRID, 60, 540, 1, 3);
    other.forEach((value, g) => expect(value).toBeCloseTo(byMinute[g]!, 12));
  });

  it('never gives negative evidence, and more candidate errors never lower it', () => {
    const minute = fc.record({
      nC: fc.integer({ min: 1, max: 2000 }),
      nS: fc.integer({ min: 1, max: 2000 }),
      xC: fc.integer({ min: 0, max: 30 }),
      xS: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(fc.array(minute, { minLength: 1, maxLength: 20 }), fc.nat(), (minutes, pick) => {
        const base = freshGrid();
        const more = freshGrid();
        const bumped = pick % minutes.length;
        minutes.forEach((m, i) => {
          addPairedMinute(base, RATIO_GRID, m.nC, m.nS, m.xC, m.xS);
          addPairedMinute(more, RATIO_GRID, m.nC, m.nS, m.xC + (i === bumped ? 1 : 0), m.xS);
        });
        const evidence = Math.exp(logEvidenceWorse(base, 'higherIsWorse'));
        const evidenceMore = Math.exp(logEvidenceWorse(more, 'higherIsWorse'));
        return evidence >= 0 && evidenceMore >= evidence * (1 - 1e-12);
      }),
    );
  });

  it('keeps false alarms of an A/A canary below α when it looks after every minute', () => {
    // 1000 A/A canaries, 60 looks each, at the contract's 600 requests a minute and 0.5% errors.
    const alpha = 0.05;
    const rng = new Random(2024);
    let alarms = 0;
    for (let run = 0; run < 1000; run++) {
      const logLr = freshGrid();
      for (let minute = 0; minute < 60; minute++) {
        const nC = rng.binomial(rng.poisson(600), minute < 20 ? 0.1 : 0.5);
        const nS = rng.poisson(600) - nC;
        addPairedMinute(logLr, RATIO_GRID, nC, Math.max(nS, 0), rng.binomial(nC, 0.005), rng.binomial(Math.max(nS, 0), 0.005));
        if (logEvidenceWorse(logLr, 'higherIsWorse') >= Math.log(1 / alpha)) {
          alarms++;
          break;
        }
      }
    }
    // Ville's inequality bounds the rate by α; 1000 runs put its sd near 0.7%.
    expect(alarms / 1000).toBeLessThanOrEqual(alpha);
  });

  it('holds the true ratio inside its confidence sequence at every look, in all but about α of runs', () => {
    const alpha = 0.05;
    const rng = new Random(7);
    let misses = 0;
    const runs = 300;
    for (let run = 0; run < runs; run++) {
      const logLr = freshGrid();
      for (let minute = 0; minute < 40; minute++) {
        const nC = 150;
        const nS = 450;
        addPairedMinute(logLr, RATIO_GRID, nC, nS, rng.binomial(nC, 0.02), rng.binomial(nS, 0.01));
        const { lower, upper } = ratioConfidence(logLr, alpha);
        if (!(lower < 2 && 2 < upper)) {
          misses++;
          break;
        }
      }
    }
    // Each side errs with probability ≤ α over all looks: ≤ 2α in all (sd ≈ 1.6% at 300 runs).
    expect(misses / runs).toBeLessThanOrEqual(2 * alpha);
  });

  it('rejects "no worse" against a clear regression and says the ratio is above 1', () => {
    const logLr = freshGrid();
    for (let minute = 0; minute < 10; minute++) addPairedMinute(logLr, RATIO_GRID, 300, 300, 15, 3);
    expect(logEvidenceWorse(logLr, 'higherIsWorse')).toBeGreaterThan(Math.log(1000));
    expect(ratioConfidence(logLr, 0.001).lower).toBeGreaterThanOrEqual(2);
    expect(logEvidenceWorse(logLr, 'lowerIsWorse')).toBeLessThan(0);
  });
});

describe('guardrail bounds', () => {
  it('spread δ over the looks so that they sum to at most δ', () => {
    let total = 0;
    for (let look = 1; look <= 100_000; look++) total += lookLevel(0.001, look);
    expect(total).toBeLessThanOrEqual(0.001);
    expect(total).toBeGreaterThan(0.00099);
  });

  it('do not trip on a 5% minute of a 2%-baseline canary with 60 requests, and do on a real outage', () => {
    expect(rateExceeds(60, 3, 0.05, lookLevel(0.001, 1))).toBe(false);
    expect(rateExceeds(60, 40, 0.2, lookLevel(0.001, 1))).toBe(true);
  });

  it('compute binomial tails by hand', () => {
    // P(Bin(60, 1%) ≥ 1) = 1 − 0.99^60
    expect(binomialUpperTail(60, 0.01, 1)).toBeCloseTo(1 - 0.99 ** 60, 12);
    expect(binomialUpperTail(100, 0.01, 2)).toBeCloseTo(1 - 0.99 ** 100 - 100 * 0.01 * 0.99 ** 99, 12);
  });
});
