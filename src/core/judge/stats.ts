/**
 * The statistics behind the judge, pure and small. Everything here is *anytime-valid*: an
 * e-process (a non-negative supermartingale under the null, starting at 1) can be checked after
 * every minute, and by Ville's inequality P(it ever reaches 1/α) ≤ α. Peeking costs nothing.
 *
 * The paired-count test (errors, slow requests, custom counts). Canary and stable serve the same
 * minutes behind one alias. Given a minute's invocations n_c, n_s and its total count k = x_c + x_s,
 * the candidate's share x_c is (for rare events) Binomial(k, π_ρ) with π_ρ = ρ·n_c / (ρ·n_c + n_s),
 * where ρ = rate_c / rate_s. Minute by minute the log-likelihood of every ρ on a fixed grid adds up;
 * a likelihood ratio between two grid points is then a product of per-minute conditional ratios, so
 * weights may change from step to step and the product stays a martingale.
 * - "candidate no worse" (ρ ≤ 1) is tested by a mixture over ρ > 1: E = Σ w_g · LR(ρ_g : 1).
 *   For ρ < 1 it is a supermartingale too (a one-sided family with monotone likelihood ratio), and
 *   when both versions have the same rate the exact conditional law is hypergeometric, which is
 *   dominated in convex order by the binomial (Hoeffding 1963), so E[LR] ≤ 1 holds exactly.
 * - the same grid gives a confidence sequence for ρ: ρ₀ is excluded once the mixture over the grid
 *   points on the far side of ρ₀ reaches 1/δ.
 *
 * The candidate's own rate is tested against the promotion bar in promotion.ts.
 *
 * Guardrails use fixed-sample Chernoff bounds with a level δ_t = δ·6/(π²t²) at the t-th look, so that
 * their false alarms over any number of looks sum to at most δ.
 */

/** Kullback–Leibler divergence of Bernoulli(q) from Bernoulli(p), in nats. */
export function klBernoulli(q: number, p: number): number {
  if (p <= 0) return q <= 0 ? 0 : Infinity;
  if (p >= 1) return q >= 1 ? 0 : Infinity;
  let kl = 0;
  if (q > 0) kl += q * Math.log(q / p);
  if (q < 1) kl += (1 - q) * Math.log((1 - q) / (1 - p));
  return kl;
}

// ————————————————————————————————————————————————————————— ratio grid and paired-count test

/**
 * The fixed grid of rate ratios ρ on which log-likelihoods are kept: powers of √2 from 1/16 to 32.
 * Coarse on purpose: it is what the execution state carries, and the mixture only needs its
 * alternatives within a factor √2 of the truth (the loss is then under 6% of the evidence rate).
 */
export const RATIO_GRID: readonly number[] = Array.from({ length: 19 }, (_, i) => 2 ** ((i - 8) / 2));
/** Index of ρ = 1 in RATIO_GRID. */
export const RATIO_ONE = 8;

/**
 * Prior weights of the alternatives ρ > 1 used to reject "candidate no worse" (grid points √2 … 32).
 * The weights lean towards moderate ratios (√2 to 4), the regressions that need many requests to
 * tell; large ratios are told from a handful of errors, so a small weight costs them little.
 * See docs/judge.md, "Why these defaults", for how these were sized.
 */
export const WORSE_WEIGHTS: readonly number[] = normalise([1, 1, 1, 1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.05]);

function normalise(weights: number[]): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

/**
 * Adds one minute of paired counts to log-likelihood ratios kept against ρ = 1 (`logLr[g]` is
 * ln LR(ρ_g : 1) on `grid`). No-op when either version had no invocations or nothing was counted.
 */
export function addPairedMinute(logLr: number[], grid: readonly number[], nC: number, nS: number, xC: number, xS: number): void {
  if (!(nC > 0) || !(nS > 0) || xC + xS <= 0) return;
  const pi1 = nC / (nC + nS);
  const logPi1 = Math.log(pi1);
  const logNotPi1 = Math.log1p(-pi1);
  for (let g = 0; g < grid.length; g++) {
    const rho = grid[g]!;
    const denominator = rho * nC + nS;
    logLr[g]! += xC * (Math.log((rho * nC) / denominator) - logPi1) + xS * (Math.log(nS / denominator) - logNotPi1);
  }
}

/** ln Σ exp(a_i + b_i), safely. */
function logSumExp(values: number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * ln of the mixture e-value against "ρ on the other side of `reference`": the weighted average of
 * LR(ρ_g : ρ_reference) over the given alternatives (indices into the grid with their weights).
 */
export function logMixture(logLr: readonly number[], reference: number, alternatives: readonly number[], weights: readonly number[]): number {
  const terms: number[] = [];
  for (let i = 0; i < alternatives.length; i++) terms.push(Math.log(weights[i]!) + logLr[alternatives[i]!]! - logLr[reference]!);
  return logSumExp(terms);
}

/** Indices of RATIO_GRID above 1 (the alternatives of "candidate worse" for higher-is-worse counts). */
export const WORSE_ALTERNATIVES: readonly number[] = RATIO_GRID.map((_, i) => i).filter((i) => i > RATIO_ONE);
/** The same for lower-is-worse counts: ratios below 1, mirrored weights (1/√2 gets the first). */
export const LOWER_ALTERNATIVES: readonly number[] = RATIO_GRID.map((_, i) => i).filter((i) => i < RATIO_ONE).reverse();

/**
 * ln E for "the candidate's rate is no worse than stable's" on a paired-count grid.
 * `direction` says which side is worse.
 */
export function logEvidenceWorse(logLr: readonly number[], direction: 'higherIsWorse' | 'lowerIsWorse'): number {
  return direction === 'higherIsWorse'
    ? logMixture(logLr, RATIO_ONE, WORSE_ALTERNATIVES, WORSE_WEIGHTS)
    : logMixture(logLr, RATIO_ONE, LOWER_ALTERNATIVES, WORSE_WEIGHTS.slice(0, LOWER_ALTERNATIVES.length));
}

/**
 * Anytime-valid bounds on ρ at the grid's resolution, each one-sided at level δ: `lower` is the
 * largest grid ratio ρ₀ such that it and every ratio below it are rejected by the mixture over the
 * grid points above ρ₀ (weighted like the test: WORSE_WEIGHTS by distance), `upper` likewise from
 * below. At ρ₀ = 1 the lower side is exactly the "candidate worse" test, so lower > 1 ⇔ rejected.
 * Returns ratios (upper may be Infinity, lower 0).
 */
export function ratioConfidence(logLr: readonly number[], delta: number): { lower: number; upper: number } {
  const threshold = Math.log(1 / delta);
  const n = RATIO_GRID.length;
  let lower = 0;
  let upper = Infinity;
  for (let r = 0; r < n - 1; r++) {
    const above = Array.from({ length: Math.min(n - 1 - r, WORSE_WEIGHTS.length) }, (_, i) => r + 1 + i);
    if (logMixture(logLr, r, above, WORSE_WEIGHTS) >= threshold) lower = RATIO_GRID[r]!;
    else break;
  }
  for (let r = n - 1; r > 0; r--) {
    const below = Array.from({ length: Math.min(r, WORSE_WEIGHTS.length) }, (_, i) => r - 1 - i);
    if (logMixture(logLr, r, below, WORSE_WEIGHTS) >= threshold) upper = RATIO_GRID[r]!;
    else break;
  }
  return { lower, upper };
}

/** Maximum-likelihood ratio on the grid (for display). */
export function ratioEstimate(logLr: readonly number[]): number {
  let best = RATIO_ONE;
  for (let g = 0; g < logLr.length; g++) if (logLr[g]! > logLr[best]!) best = g;
  return RATIO_GRID[best]!;
}

// ————————————————————————————————————————————————————————— guardrails

/** The level of the t-th look (1-based) when δ is spread over all looks: δ·6/(π²t²). */
export function lookLevel(delta: number, look: number): number {
  return (delta * 6) / (Math.PI * Math.PI * look * look);
}

/**
 * True when x events in n trials show, at level δ, that the rate exceeds `limit`
 * (Chernoff: P(x/n ≥ q) ≤ exp(−n·KL(q‖limit)) for any rate ≤ limit).
 */
export function rateExceeds(n: number, x: number, limit: number, delta: number): boolean {
  if (n <= 0) return false;
  const observed = x / n;
  if (observed <= limit) return false;
  return n * klBernoulli(observed, limit) >= Math.log(1 / delta);
}

/** P(Binomial(n, p) ≥ k), summed in logs (n is a minute's invocations, k small). */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // 1 − P(X ≤ k − 1), with the terms summed by recurrence.
  let term = Math.exp(n * Math.log1p(-p));
  let below = term;
  for (let i = 1; i < k; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    below += term;
  }
  return Math.max(0, 1 - below);
}
