import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logFactorial, normalCdf, normalQuantile, Random } from '../../src/sim/random.ts';

function moments(draw: () => number, count: number): { mean: number; variance: number } {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < count; i++) {
    const x = draw();
    sum += x;
    sumSquares += x * x;
  }
  const mean = sum / count;
  return { mean, variance: sumSquares / count - mean * mean };
}

/** Binomial pmf by logs, for the goodness-of-fit test. */
function binomialPmf(n: number, p: number, k: number): number {
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

describe('Random', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const drawsA = Array.from({ length: 20 }, () => a.uniform());
    const drawsB = Array.from({ length: 20 }, () => b.uniform());
    const drawsC = Array.from({ length: 20 }, () => c.uniform());
    expect(drawsA).toEqual(drawsB);
    expect(drawsA).not.toEqual(drawsC);
  });

  it('reseeds in place to the same stream as a fresh generator with the same keys', () => {
    const reused = new Random(1);
    reused.uniform();
    reused.reseed(3, 17);
    const fresh = Random.for(3, 17);
    expect([reused.binomial(600, 0.01), reused.poisson(40), reused.normal()]).toEqual([fresh.binomial(600, 0.01), fresh.poisson(40), fresh.normal()]);
  });

  it('draws uniforms strictly inside (0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = new Random(seed);
        for (let i = 0; i < 100; i++) {
          const u = rng.uniform();
          if (!(u > 0 && u < 1)) return false;
        }
        return true;
      }),
    );
  });

  it.each([
    [20, 0.3],
    [600, 0.005],
    [600, 0.1],
    [60_000, 0.5],
    [1_000_000, 0.002],
    [500, 0.97],
  ])('draws Binomial(%i, %d) with the right mean and variance', (n, p) => {
    const rng = new Random(42);
    const count = 100_000;
    const { mean, variance } = moments(() => rng.binomial(n, p), count);
    const trueVariance = n * p * (1 - p);
    // The sample mean's sd is sqrt(var/count); 5 sd is a bound a correct sampler breaks ~1 in 10^6.
    expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(trueVariance / count));
    expect(variance / trueVariance).toBeGreaterThan(0.97);
    expect(variance / trueVariance).toBeLessThan(1.03);
  });

  it.each([
    [40, 0.3],
    [2000, 0.05],
  ])('matches the Binomial(%i, %d) distribution (chi-square over the central values)', (n, p) => {
    const rng = new Random(9);
    const count = 200_000;
    const histogram = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const k = rng.binomial(n, p);
      histogram.set(k, (histogram.get(k) ?? 0) + 1);
    }
    let chiSquare = 0;
    let cells = 0;
    for (let k = 0; k <= n; k++) {
      const expected = count * binomialPmf(n, p, k);
      if (expected < 20) continue;
      const observed = histogram.get(k) ?? 0;
      chiSquare += ((observed - expected) ** 2) / expected;
      cells++;
    }
    // For `cells` degrees of freedom, mean = cells and sd = sqrt(2·cells): 6 sd above is far out.
    expect(chiSquare).toBeLessThan(cells + 6 * Math.sqrt(2 * cells));
  });

  it.each([0.5, 3, 9.9, 10, 600, 25_000])('draws Poisson(%d) with the right mean and variance', (lambda) => {
    const rng = new Random(5);
    const count = 100_000;
    const { mean, variance } = moments(() => rng.poisson(lambda), count);
    expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / count));
    expect(variance / lambda).toBeGreaterThan(0.97);
    expect(variance / lambda).toBeLessThan(1.03);
  });

  it('draws standard normals', () => {
    const rng = new Random(11);
    const { mean, variance } = moments(() => rng.normal(), 100_000);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(100_000));
    expect(variance).toBeGreaterThan(0.98);
    expect(variance).toBeLessThan(1.02);
  });

  it('returns 0 for an empty or impossible binomial and n for a certain one', () => {
    const rng = new Random(1);
    expect([rng.binomial(0, 0.5), rng.binomial(100, 0), rng.binomial(100, 1), rng.poisson(0)]).toEqual([0, 0, 100, 0]);
  });
});

describe('normalCdf and normalQuantile', () => {
  it('match tabulated values', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300946, 16);
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263478740408408, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9);
  });

  it('invert each other', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }), (p) => Math.abs(normalCdf(normalQuantile(p)) - p) <= 1e-12 * Math.max(p, 1e-3)),
    );
  });
});
