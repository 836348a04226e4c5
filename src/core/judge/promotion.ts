/**
 * The promotion test: is the candidate's error rate below the bar the plan stated?
 *
 * H₀: the candidate's rate p is at or above the bar b. Against it, one fixed alternative p₁ < b (near
 * stable's rate): after n requests with x errors the likelihood ratio is
 *   Λ = (p₁/b)^x · ((1−p₁)/(1−b))^(n−x).
 * Under any p ≥ b each request multiplies Λ by a factor whose mean is p·p₁/b + (1−p)(1−p₁)/(1−b) ≤ 1
 * (linear in p, exactly 1 at p = b, falling as p grows), so Λ is a non-negative supermartingale under
 * all of H₀ and, by Ville's inequality, P(Λ ever reaches 1/α) ≤ α however often it is looked at. It
 * counts every request the candidate served since the first shift, whatever the weights were: one
 * Bernoulli trial each. A candidate erring at stable's rate p needs about ln(1/α) / KL(p ‖ b) requests
 * (the sequential probability ratio test's yardstick) — the one-point alternative pays nothing for a
 * mixture.
 *
 * How many requests a promotion takes is known exactly in law: the test passes at the first n with
 *   n·c − x·(c + e) ≥ A,  c = ln((1−p₁)/(1−b)), e = ln(b/p₁), A = ln(1/α),
 * i.e. after n₀ = A/c requests plus k = (c+e)/c for each error seen on the way. With errors at rate p
 * (a Poisson stream, for rare errors), the number of errors seen on the way is the number served in a
 * busy period of an M/D/1 queue that starts with n₀ of work, each arrival bringing k more: Consul's
 * generalised Poisson law GP(θ = p·n₀, λ = p·k) (Consul & Jain 1973). Its quantiles give the forecast.
 */
import { klBernoulli } from './stats.ts';

/** The promotion test as the plan fixes it, before any traffic moves. */
export interface PromotionTest {
  /** H₀: the candidate's error rate is at least this. */
  bar: number;
  /** The alternative the likelihood ratio is taken against (stable's rate, floored at bar / ALTERNATIVE_FLOOR). */
  alternative: number;
  /** Level: P(promoting a candidate at or above the bar) ≤ alpha. */
  alpha: number;
}

/**
 * The alternative is never below bar / ALTERNATIVE_FLOOR: a function that showed no errors before the
 * shift (stable's rate 0) would otherwise make a single candidate error end any hope of promotion.
 * At bar/4, a candidate with no errors needs about 1/0.75 of the ideal requests, and each error costs
 * ln 4 of evidence.
 */
export const ALTERNATIVE_FLOOR = 4;
/** The alternative stays a little under the bar, or the test would need unbounded requests. */
const ALTERNATIVE_CEILING = 0.9;

/** The alternative for a bar, given stable's estimated rate. */
export function promotionAlternative(stableRate: number, bar: number): number {
  return Math.min(ALTERNATIVE_CEILING * bar, Math.max(stableRate, bar / ALTERNATIVE_FLOOR));
}

/** ln Λ after `requests` with `errors`. */
export function promotionLogEvidence(test: PromotionTest, requests: number, errors: number): number {
  const { bar, alternative } = test;
  if (!(bar > 0 && bar < 1 && alternative > 0 && alternative < bar)) return 0;
  return errors * Math.log(alternative / bar) + (requests - errors) * (Math.log1p(-alternative) - Math.log1p(-bar));
}

/** True when the evidence shows, at level α, that the candidate's rate is below the bar. */
export function promotionPassed(test: PromotionTest, requests: number, errors: number): boolean {
  return promotionLogEvidence(test, requests, errors) >= Math.log(1 / test.alpha);
}

/**
 * Requests a candidate erring at `rate` needs to pass the test, at quantile `q` (0.5 for the median,
 * 0.95 for the planning headroom). Infinity when a candidate at that rate is not expected to pass (its
 * rate is at or above the point where the evidence stops growing).
 *
 * @example
 * promotionRequestsQuantile({ bar: 0.01, alternative: 0.005, alpha: 0.01 }, 0.005, 0.5); // ≈ 2,700
 */
export function promotionRequestsQuantile(test: PromotionTest, rate: number, q: number, maxRequests = Infinity): number {
  const { bar, alternative, alpha } = test;
  if (!(bar > 0 && bar < 1 && alternative > 0 && alternative < bar)) return Infinity;
  const c = Math.log1p(-alternative) - Math.log1p(-bar);
  const e = Math.log(bar / alternative);
  const start = Math.log(1 / alpha) / c;
  const perError = (c + e) / c;
  const theta = rate * start;
  const lambda = rate * perError;
  if (lambda >= 1) return Infinity;
  if (start > maxRequests) return Infinity;
  const errors = generalisedPoissonQuantile(theta, lambda, q, Math.floor((maxRequests - start) / perError));
  return Number.isFinite(errors) ? Math.ceil(start + perError * errors) : Infinity;
}

/** P(a candidate erring at `rate` passes the test within `requests` requests): the same law, read the other way. */
export function promotionChance(test: PromotionTest, rate: number, requests: number): number {
  const { bar, alternative, alpha } = test;
  if (!(bar > 0 && bar < 1 && alternative > 0 && alternative < bar)) return 0;
  const c = Math.log1p(-alternative) - Math.log1p(-bar);
  const start = Math.log(1 / alpha) / c;
  const perError = (c + Math.log(bar / alternative)) / c;
  if (requests < start) return 0;
  return generalisedPoissonCdf(rate * start, rate * perError, Math.floor((requests - start) / perError));
}

/**
 * P(a candidate erring at `rate` is promoted within `requests`, when promotion may come only once
 * `heldUntil` of them are served): the judge holds the final weight for its planned share, and then
 * asks whether the evidence is over the bar *now*, not whether it ever was. Evidence that crossed
 * early and fell back by the end of the share must cross again, so on a long schedule, whose share
 * ends late, fewer candidates are promoted than `promotionChance` says. Exact in law: the errors by
 * `heldUntil` are Poisson; from each count, the evidence either stands over the bar or has a
 * deficit, whose crossing within the requests left follows the same generalised Poisson law.
 */
export function promotionChanceAfter(test: PromotionTest, rate: number, heldUntil: number, requests: number): number {
  const { bar, alternative, alpha } = test;
  if (!(bar > 0 && bar < 1 && alternative > 0 && alternative < bar)) return 0;
  if (!(heldUntil > 0) || !(rate > 0)) return promotionChance(test, rate, requests);
  const c = Math.log1p(-alternative) - Math.log1p(-bar);
  const perError = (c + Math.log(bar / alternative)) / c;
  const needed = Math.log(1 / alpha);
  const mean = rate * heldUntil;
  const left = requests - heldUntil;
  let chance = 0;
  // Poisson's mass beyond 6 standard deviations (and 20 counts) either side is left out. Where the
  // errors are many, the chance of passing changes little from one count to the next, so the counts
  // are taken in steps of a quarter of a standard deviation, each weighing for its step.
  const sd = Math.sqrt(mean);
  const step = Math.max(1, Math.floor(sd / 4));
  const first = Math.max(0, Math.floor(mean - 6 * sd - 20));
  for (let x = first; x <= mean + 6 * sd + 20; x += step) {
    const mass = Math.exp(x * Math.log(mean) - mean - logFactorial(x)) * step;
    // Evidence at the end of the share, in requests' worth: n·c − x·(c + e), over c.
    const deficit = needed / c - (heldUntil - x * perError);
    const pass = deficit <= 0 ? 1 : left < deficit ? 0 : crossingChance(rate * deficit, rate * perError, Math.floor((left - deficit) / perError));
    chance += mass * pass;
  }
  return Math.min(1, chance);
}

/**
 * P(GP(θ, λ) ≤ upTo): the generalised Poisson law's sum, or 1 where upTo lies 12 standard deviations
 * (and 20 counts) past its mean, which summing term by term would only confirm at great cost.
 */
function crossingChance(theta: number, lambda: number, upTo: number): number {
  if (lambda < 1 && upTo >= theta / (1 - lambda) + 12 * Math.sqrt(theta / (1 - lambda) ** 3) + 20) return 1;
  return generalisedPoissonCdf(theta, lambda, upTo, (_x, cumulative) => cumulative >= 1 - 1e-9);
}

/** ln x!, by Stirling's series beyond 20 (exact to ~1e-10 there). */
function logFactorial(x: number): number {
  if (x < 20) {
    let sum = 0;
    for (let k = 2; k <= x; k++) sum += Math.log(k);
    return sum;
  }
  return x * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI * x) + 1 / (12 * x) - 1 / (360 * x ** 3);
}

/** The ideal sequential test's requests for the same bar: ln(1/α) / KL(rate ‖ bar). */
export function sprtRequests(rate: number, bar: number, alpha: number): number {
  const divergence = klBernoulli(rate, Math.min(bar, 1 - 1e-9));
  return divergence > 0 ? Math.log(1 / alpha) / divergence : Infinity;
}

/** Beyond this many errors on the way the forecast gives up: the promotion would take far too long anyway. */
const MAX_ERRORS = 100_000;

/**
 * Smallest x with P(X ≤ x) ≥ q for X ~ GP(θ, λ): P(X = x) = θ(θ + xλ)^(x−1) e^(−θ−xλ) / x!.
 * Infinity when it is above `maxErrors`.
 */
export function generalisedPoissonQuantile(theta: number, lambda: number, q: number, maxErrors = MAX_ERRORS): number {
  if (!(theta > 0)) return 0;
  let found = Infinity;
  generalisedPoissonCdf(theta, lambda, Math.min(maxErrors, MAX_ERRORS), (x, cumulative) => {
    if (cumulative < q) return false;
    found = x;
    return true;
  });
  return found;
}

/** P(X ≤ upTo) for X ~ GP(θ, λ); `stop` may end the sum early (it sees each x and P(X ≤ x)). */
export function generalisedPoissonCdf(theta: number, lambda: number, upTo: number, stop?: (x: number, cumulative: number) => boolean): number {
  if (!(theta > 0)) return 1;
  let cumulative = 0;
  let logXFactorial = 0;
  for (let x = 0; x <= Math.min(upTo, MAX_ERRORS); x++) {
    if (x > 1) logXFactorial += Math.log(x);
    cumulative += Math.exp(Math.log(theta) + (x - 1) * Math.log(theta + x * lambda) - theta - x * lambda - logXFactorial);
    if (stop?.(x, cumulative)) break;
  }
  return Math.min(1, cumulative);
}
