/**
 * The queue's promotion test: before the final step passes, the queue must show that the candidate
 * fails messages less often than a bar, its share of the queue's messages accounted for.
 *
 * Why the queue needs one. A candidate that fails messages and reports them (ReportBatchItemFailures)
 * causes no Lambda error, so the errors' promotion test sees a clean candidate and passes; the queue's
 * retry rate is the only place its failures show, diluted by stable's share. The rollback test asks
 * "worse than stable?" and the lean holds while the queue leans worse, but neither asks for evidence
 * of "no worse": a queue that had seen too few messages to lean either way promoted whatever ran on it
 * (a candidate failing 1–5 points more messages on a quiet queue, in a fifth of the random scenarios
 * of docs/sqs.md).
 *
 * The test. H₀: the candidate fails a share p ≥ b of the messages it receives (b the bar). At weight w
 * the queue's rate is then (1 − w)·λ + w·p ≥ (1 − w)·λ₋ + w·b = n_w, where λ is stable's rate and λ₋
 * its lower bound at α/2 from the queue's past (`queueReferenceRate`). Against the alternative a = λ̂
 * (the queue as it was), minute t's failures F_t of R_t received give the Poisson likelihood ratio
 *   (a / n_w)^F_t · exp((n_w − a)·R_t),
 * whose mean under any rate ≥ n_w is ≤ 1: the product is a supermartingale under H₀, so by Ville's
 * inequality P(it ever reaches 2/α) ≤ α/2, however often it is looked at. Counts are in units of φ, the
 * failures' clumping, as in the rollback test. Minutes where a ≥ n_w (a small weight on an uncertain
 * baseline) add nothing. The weights are set before their minutes, so the sums kept per weight are all
 * the test needs.
 *
 * The bar. By default the errors' bar, on messages: max(errorTolerance × λ̂, λ̂ + errorMargin). A quiet
 * queue cannot show that within a canary (at 20 messages a minute, a 0.5-point bar at 50% needs about
 * 8,000 messages), so, as Plan loosens the errors' bar for thin traffic, the bar is the tightest that
 * 95% of candidates as good as stable show with the messages the queue brings while the final step
 * asks for (as Plan sizes its exposure: its interval and half its extension, within what its planned
 * start leaves of the budget; at the baseline's pace), at most
 * LOOSEST_BAR. It depends on pre-shift figures and the plan only, so the test stays exact; the
 * reasons and figures say it.
 */
import { poissonLowerBound } from './queue-baseline.ts';

/**
 * The loosest bar: half the messages. Not the errors' `loosestBar` (under a gross regression of
 * stable's rate): a quiet queue that cannot show even that would hold every candidate as good as
 * stable to the budget; a bar it can show still stops what fails more than it, where the lean alone
 * stopped nothing it could not already prove.
 */
const LOOSEST_BAR = 0.5;
/** z of the share of candidates as good as stable that should show the bar within the final step: 95%. */
const HEALTHY_QUANTILE_Z = 1.645;

/** Per weight (percent): [weight, Σ failures / φ, Σ received / φ] since the first shift. */
export type QueueExposure = [number, number, number][];

export interface QueuePromotionTest {
  /** H₀: the candidate fails at least this share of the messages it receives. */
  bar: number;
  /** The default bar, before loosening for the queue's traffic. */
  defaultBar: number;
  /** Stable's retry rate (the alternative) and its lower bound at α/2. */
  rate: number;
  rateLower: number;
  /** Level: P(promoting a candidate at or above the bar) ≤ alpha. */
  alpha: number;
}

/** ln of the likelihood ratio for "the candidate fails less than the bar", from the per-weight sums. */
export function queuePromotionLogEvidence(test: Pick<QueuePromotionTest, 'bar' | 'rate' | 'rateLower'>, exposure: QueueExposure): number {
  let total = 0;
  for (const [weight, failures, received] of exposure) {
    const w = Math.min(1, Math.max(0, weight / 100));
    const nullRate = (1 - w) * test.rateLower + w * test.bar;
    if (!(test.rate < nullRate)) continue;
    total += (test.rate > 0 ? failures * Math.log(test.rate / nullRate) : failures > 0 ? -Infinity : 0) + (nullRate - test.rate) * received;
  }
  return total;
}

/**
 * The bar for this canary, from the queue's past and the plan: the default bar, loosened until 95%
 * of candidates as good as stable show it with `finalMessages` received (both versions) at
 * `finalWeight` (percent), φ the failures' clumping. `reference` is stable's failures and received (`queueReferenceRate`).
 */
export function queuePromotionTest(input: {
  reference: { failures: number; received: number };
  phi: number;
  alpha: number;
  errorTolerance: number;
  errorMargin: number;
  finalWeight: number;
  finalMessages: number;
}): QueuePromotionTest {
  const { reference, phi, alpha, finalWeight, finalMessages } = input;
  const rate = reference.received > 0 ? reference.failures / reference.received : 0;
  const rateLower = reference.received > 0 ? Math.min(rate, (poissonLowerBound(reference.failures / phi, alpha / 2) * phi) / reference.received) : 0;
  const defaultBar = Math.min(1, Math.max(input.errorTolerance * rate, rate + input.errorMargin));
  const loosest = Math.max(defaultBar, LOOSEST_BAR);
  const needed = Math.log(2 / alpha);
  // A candidate as good as stable: its failures over the final step are Poisson(λ̂·R/φ) in units of φ,
  // so the evidence is normal-ish with this mean and spread; the bar is one it shows in 95% of canaries.
  const units = finalMessages / phi;
  const expected = (bar: number) => {
    const nullRate = (1 - finalWeight / 100) * rateLower + (finalWeight / 100) * bar;
    if (!(rate < nullRate)) return -Infinity;
    const mean = queuePromotionLogEvidence({ bar, rate, rateLower }, [[finalWeight, rate * units, units]]);
    const spread = rate > 0 ? Math.sqrt(rate * units) * Math.log(nullRate / rate) : 0;
    return mean - HEALTHY_QUANTILE_Z * spread;
  };
  let bar = defaultBar;
  if (expected(defaultBar) < needed) {
    // The expected evidence grows with the bar: bisect for the tightest bar it reaches, up to the loosest.
    let low = defaultBar;
    let high = loosest;
    if (expected(high) < needed) bar = high;
    else {
      for (let i = 0; i < 40; i++) {
        const mid = (low + high) / 2;
        if (expected(mid) >= needed) high = mid;
        else low = mid;
      }
      bar = high;
    }
  }
  return { bar, defaultBar, rate, rateLower, alpha };
}
