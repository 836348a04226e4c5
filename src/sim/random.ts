/**
 * A small seeded random number generator for the simulator and the benchmark.
 *
 * Deterministic per seed (a scenario and a seed give the same run every time), allocation-free
 * after construction, and fast: the benchmark draws millions of binomials, so the large-mean
 * samplers are exact transformed-rejection methods with O(1) expected cost (Hörmann 1993:
 * BTRD for the binomial, PTRS for the Poisson), not sums of Bernoulli trials.
 *
 * @example
 * const rng = new Random(42);
 * const errors = rng.binomial(600, 0.005); // same value every time for seed 42
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Hashes 32-bit integers into one well-mixed 32-bit seed (murmur3's finaliser, chained). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h ^= Math.imul((part | 0) ^ ((part / 4294967296) | 0), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + 0x6b43a9b5) | 0;
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h >>> 0;
}

/** ln(k!) for small k exactly, for large k by Stirling's series (error < 1e-12 for k ≥ 10). */
export function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL_TABLE.length) return LOG_FACTORIAL_TABLE[k]!;
  const x = k + 1;
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

const LOG_FACTORIAL_TABLE: readonly number[] = (() => {
  const table = [0];
  for (let k = 1; k < 64; k++) table.push(table[k - 1]! + Math.log(k));
  return table;
})();

/** Stirling's correction fc(k) = ln k! − [(k + ½) ln(k + 1) − (k + 1) + ½ ln 2π], used by BTRD. */
function stirlingCorrection(k: number): number {
  if (k < 10) return STIRLING_TABLE[k]!;
  const inv = 1 / (k + 1);
  const inv2 = inv * inv;
  return inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

const STIRLING_TABLE: readonly number[] = Array.from(
  { length: 10 },
  (_, k) => logFactorial(k) - ((k + 0.5) * Math.log(k + 1) - (k + 1) + LN_SQRT_2PI),
);

/**
 * A seeded stream of random numbers (mulberry32 core: 32 bits of state, passes SmallCrush, and
 * plenty for a simulator; uniforms carry 32 bits and are never exactly 0 or 1).
 */
export class Random {
  private state: number;
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed: number) {
    this.state = mixSeed(seed) | 0;
  }

  /** An independent stream for one key, e.g. `Random.for(seed, minute)`: same keys, same stream. */
  static for(...keys: number[]): Random {
    return new Random(0).reseed(...keys);
  }

  /** Re-seed in place (no allocation), e.g. once per simulated minute; `reseed(s)` ≡ `new Random(s)`. */
  reseed(...keys: number[]): this {
    this.state = mixSeed(...keys) | 0;
    this.hasSpareNormal = false;
    return this;
  }

  /** Uniform on the open interval (0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }

  /** Standard normal (Marsaglia's polar method; the second variate is kept for the next call). */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    this.hasSpareNormal = true;
    return u * factor;
  }

  /** Exponential with mean 1. */
  exponential(): number {
    return -Math.log(this.uniform());
  }

  /**
   * Binomial(n, p), exact. Inversion when the smaller mean is under 10 (a handful of steps);
   * otherwise Hörmann's BTRD transformed rejection, O(1) expected time for any n.
   */
  binomial(n: number, p: number): number {
    if (!(n > 0) || !(p > 0)) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    return n * p < 10 ? this.binomialInversion(n, p) : this.binomialBtrd(n, p);
  }

  /** Poisson(λ), exact: multiplication of uniforms for λ < 10, Hörmann's PTRS above. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda < 10) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let product = this.uniform();
      while (product > limit) {
        k++;
        product *= this.uniform();
      }
      return k;
    }
    return this.poissonPtrs(lambda);
  }

  private binomialInversion(n: number, p: number): number {
    const q = 1 - p;
    const ratio = p / q;
    const a = (n + 1) * ratio;
    for (;;) {
      let pmf = Math.pow(q, n);
      let u = this.uniform();
      let k = 0;
      while (u > pmf) {
        u -= pmf;
        k++;
        if (k > n) break; // rounding left a sliver of probability: draw again
        pmf *= a / k - ratio;
      }
      if (k <= n) return k;
    }
  }

  private binomialBtrd(n: number, p: number): number {
    const q = 1 - p;
    const spq = Math.sqrt(n * p * q);
    const npq = n * p * q;
    const b = 1.15 + 2.53 * spq;
    const a = -0.0873 + 0.0248 * b + 0.01 * p;
    const c = n * p + 0.5;
    const alpha = (2.83 + 5.1 / b) * spq;
    const vr = 0.92 - 4.2 / b;
    const urvr = 0.86 * vr;
    const m = Math.floor((n + 1) * p);
    const r = p / q;
    const nr = (n + 1) * r;
    for (;;) {
      let v = this.uniform();
      let u: number;
      if (v <= urvr) {
        u = v / vr - 0.43;
        return Math.floor(((2 * a) / (0.5 - Math.abs(u)) + b) * u + c);
      }
      if (v >= vr) {
        u = this.uniform() - 0.5;
      } else {
        u = v / vr - 0.93;
        u = Math.sign(u) * 0.5 - u;
        v = this.uniform() * vr;
      }
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + c);
      if (k < 0 || k > n) continue;
      v = (v * alpha) / (a / (us * us) + b);
      const km = Math.abs(k - m);
      if (km <= 15) {
        // Recursive evaluation of f(k)/f(m).
        let f = 1;
        if (m < k) {
          for (let i = m + 1; i <= k; i++) f *= nr / i - r;
        } else if (m > k) {
          for (let i = k + 1; i <= m; i++) v *= nr / i - r;
        }
        if (v <= f) return k;
        continue;
      }
      // Squeeze, then the exact log-density comparison.
      v = Math.log(v);
      const rho = (km / npq) * (((km / 3 + 0.625) * km + 1 / 6) / npq + 0.5);
      const t = (-km * km) / (2 * npq);
      if (v < t - rho) return k;
      if (v > t + rho) continue;
      const nm = n - m + 1;
      const h = (m + 0.5) * Math.log((m + 1) / (r * nm)) + stirlingCorrection(m) + stirlingCorrection(n - m);
      const nk = n - k + 1;
      if (v <= h + (n + 1) * Math.log(nm / nk) + (k + 0.5) * Math.log((nk * r) / (k + 1)) - stirlingCorrection(k) - stirlingCorrection(n - k)) {
        return k;
      }
    }
  }

  private poissonPtrs(lambda: number): number {
    const slam = Math.sqrt(lambda);
    const logLambda = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -lambda + k * logLambda - logFactorial(k)) {
        return k;
      }
    }
  }
}

/** Standard normal CDF Φ(x), relative error ~1e-15 in both tails. */
export function normalCdf(x: number): number {
  return x < 0 ? 0.5 * erfc(-x / Math.SQRT2) : 1 - 0.5 * erfc(x / Math.SQRT2);
}

/** Upper tail 1 − Φ(x), without cancellation for large x. */
export function normalSurvival(x: number): number {
  return normalCdf(-x);
}

/** Complementary error function: the Chebyshev fit of Numerical Recipes (3rd ed., `Erf::erfccheb`), relative error ~1e-16. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = ERFC_COEFFICIENTS.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + ERFC_COEFFICIENTS[j]!;
    dd = tmp;
  }
  const result = t * Math.exp(-z * z + 0.5 * (ERFC_COEFFICIENTS[0]! + ty * d) - dd);
  return x >= 0 ? result : 2 - result;
}

const ERFC_COEFFICIENTS: readonly number[] = [
  -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4,
  3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8,
  -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12,
  -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9,
 * then one Halley step against `normalCdf`, which brings it to ~1e-15).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return -Infinity;
  if (!(p < 1)) return Infinity;
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  // One Halley refinement step; the error is measured on the smaller tail to avoid cancellation.
  const e = x < 0 ? normalCdf(x) - p : 1 - p - normalSurvival(x);
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
