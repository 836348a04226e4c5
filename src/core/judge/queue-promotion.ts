/**
 * The queue's promotion test: before the final step passes, the queue must show that the candidate
 * fails messages less often than a bar, its share of the queue's messages accounted for.
 *
 * Why the queue needs one. A candidate that fails messages and reports them (ReportBatchItemFailures)
 * causes no Lambda error, so the errors' promotion test sees a clean candidate and passes; the queue's
 * retry rate is the only place its failures show, diluted by stable's share. The rollback test asks
 * "worse than stable?" and the lean holds while the queue leans worse, but neither asks for evidence
 * of "no worse": a queue that had seen too few messages to lean either way promoted whatever ran on it
 * (candidates failing 1–5 points more messages, mostly on queues under 60 messages a minute: 57 of
 * 400 poisoned canaries on random scenarios, docs/sqs.md).
 *
 * The test. H₀: the candidate fails a share p ≥ b of the messages it receives (b the bar). At weight w
 * the queue's rate is then (1 − w)·λ + w·p ≥ (1 − w)·λ₋ + w·b = n_w, where λ is stable's rate and λ₋
 * its lower bound at α/2 from the queue's past (`queueReferenceRate`). Against the alternative
 * a = max(λ⁺, n_w / 4) (the queue as it was, λ⁺ stable's rate bounded from above at 90%; the floor
 * as the errors' test has it), minute t's failures F_t of R_t received give the Poisson likelihood ratio
 *   (a / n_w)^F_t · exp((n_w − a)·R_t),
 * whose mean under any rate ≥ n_w is ≤ 1: the product is a supermartingale under H₀, so by Ville's
 * inequality P(it ever reaches 2/α) ≤ α/2, however often it is looked at. Counts are in units of φ, the
 * failures' clumping, as in the rollback test. It counts the final step's minutes only, as the
 * errors' test asks the final step's own requests to favour "as good as stable": the lower weights'
 * minutes tell a candidate at the bar from one as good as stable by little (none where a ≥ n_w), and
 * their noise would only spread the evidence. Which minutes count is fixed before they come, so the
 * sums over the final step are all the test needs.
 *
 * The bar. By default the errors' bar, on messages: max(errorTolerance × λ̂, λ̂ + errorMargin). A quiet
 * queue cannot show that within a canary (at 20 messages a minute, a 0.5-point bar at 50% needs about
 * 8,000 messages), so, as Plan loosens the errors' bar for thin traffic, the bar is the tightest that
 * 97% of candidates as good as stable show with the messages the queue brings while the final step
 * asks for (as Plan sizes its exposure: its interval and half its extension, within what its planned
 * start leaves of the budget; at the baseline's pace), at most LOOSEST_BAR. It depends on pre-shift
 * figures and the plan only (`plannedQueuePromotion`), so the test stays exact: Plan states it in the
 * forecast before the first shift, and the judge's reasons and figures say it at the final step.
 */
import { ALTERNATIVE_FLOOR } from './promotion.ts';
import { poissonLowerBound, poissonUpperBound, type StableQueue } from './queue-baseline.ts';
import { DEFAULT_BUDGET_MINUTES, type AnalysisSettings } from './settings.ts';

/**
 * The loosest bar: half the messages. Not the errors' `loosestBar` (under a gross regression of
 * stable's rate): a quiet queue that cannot show even that would hold every candidate as good as
 * stable to the budget; a bar it can show still stops what fails more than it, where the lean alone
 * stopped nothing it could not already prove.
 */
const LOOSEST_BAR = 0.5;
/**
 * A candidate as good as stable fails as stable does, whose rate the queue's past only estimates
 * (fifteen minutes, or a few hours of the day before, hold a few hundred failures: ±5–15%). The test
 * takes its alternative, and sizes its bar, at stable's rate bounded from above at 90% (as the lean
 * bounds it), so that a stable rate the past underestimated still shows the bar in time; under a rate
 * between the two bounds the evidence still grows, only slower.
 */
const HEALTHY_RATE_BOUND = 0.1;
/**
 * z of the share of candidates as good as stable that show the bar within the final step: 97%, as Plan
 * fits the errors' bar (forecast.ts), so that after the baseline's own noise at least 95% still do.
 */
const HEALTHY_QUANTILE_Z = 1.881;

export interface QueuePromotionTest {
  /** H₀: the candidate fails at least this share of the messages it receives. */
  bar: number;
  /** The default bar, before loosening for the queue's traffic. */
  defaultBar: number;
  /** False when 97% of candidates as good as stable would not show even the loosest bar in time: the bar is then the loosest. */
  reachable: boolean;
  /** Stable's retry rate, its lower bound at α/2 (for the null) and its upper bound at 90% (the alternative). */
  rate: number;
  rateLower: number;
  rateUpper: number;
  /** Level: P(promoting a candidate at or above the bar) ≤ alpha. */
  alpha: number;
}

/**
 * ln of the likelihood ratio for "the candidate fails less than the bar", from the final step's
 * failures and receives (in units of φ) at its weight (percent). 0 where the bar at that weight does
 * not lie above stable's rate: there is nothing to tell apart.
 */
export function queuePromotionLogEvidence(test: Pick<QueuePromotionTest, 'bar' | 'rateLower' | 'rateUpper'>, weight: number, failures: number, received: number): number {
  const w = Math.min(1, Math.max(0, weight / 100));
  const nullRate = (1 - w) * test.rateLower + w * test.bar;
  if (!(test.rateUpper < nullRate)) return 0;
  // As the errors' promotion test (promotion.ts): never an alternative under a quarter of the null,
  // or a queue that showed no failures before the shift would make one failure end the promotion.
  const alternative = Math.max(test.rateUpper, nullRate / ALTERNATIVE_FLOOR);
  return failures * Math.log(alternative / nullRate) + (nullRate - alternative) * received;
}

/**
 * The bar for this canary, from the queue's past and the plan: the default bar, loosened until 97%
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
  const rateUpper = reference.received > 0 ? Math.min(1, (poissonUpperBound(reference.failures / phi, HEALTHY_RATE_BOUND) * phi) / reference.received) : 1;
  const defaultBar = Math.min(1, Math.max(input.errorTolerance * rate, rate + input.errorMargin));
  const loosest = Math.max(defaultBar, LOOSEST_BAR);
  const needed = Math.log(2 / alpha);
  // A candidate as good as stable: its failures over the final step are Poisson(λ⁺·R/φ) in units of φ,
  // so the evidence is normal-ish with this mean and spread; the bar is one it shows in 97% of canaries.
  const units = finalMessages / phi;
  const expected = (bar: number) => {
    const nullRate = (1 - finalWeight / 100) * rateLower + (finalWeight / 100) * bar;
    if (!(rateUpper < nullRate)) return -Infinity;
    const mean = queuePromotionLogEvidence({ bar, rateLower, rateUpper }, finalWeight, rateUpper * units, units);
    const spread = Math.sqrt(rateUpper * units) * Math.log(nullRate / Math.max(rateUpper, nullRate / ALTERNATIVE_FLOOR));
    return mean - HEALTHY_QUANTILE_Z * spread;
  };
  let bar = defaultBar;
  let reachable = true;
  if (expected(defaultBar) < needed) {
    // The expected evidence grows with the bar: bisect for the tightest bar it reaches, up to the loosest.
    let low = defaultBar;
    let high = loosest;
    if (expected(high) < needed) {
      bar = high;
      reachable = false;
    } else {
      for (let i = 0; i < 40; i++) {
        const mid = (low + high) / 2;
        if (expected(mid) >= needed) high = mid;
        else low = mid;
      }
      bar = high;
    }
  }
  return { bar, defaultBar, reachable, rate, rateLower, rateUpper, alpha };
}

/** The queue's promotion test as the plan sizes it, with the pace and minutes it was sized on. */
export interface PlannedQueuePromotion extends QueuePromotionTest {
  /** Messages the queue received a minute before the shift (both versions): the pace the bar is sized on. */
  messagesPerMinute: number;
  /** Minutes of the final step the bar is sized on. */
  finalMinutes: number;
}

/**
 * The queue's promotion test for this canary, from stable's queue before the shift and the plan: the
 * one function the judge holds the final step to and Plan states the bar from, so that the bar stated
 * is the bar held. The final step's minutes are as Plan sizes its exposure (forecast.ts): its interval
 * and half its extension, and no more than its planned start (the earlier steps' intervals) leaves of
 * the budget. Holds on earlier steps make it start later, so the whole rest of the budget is too much.
 * `finalWeight` is the final step's weight in percent (the judge passes the weight it looks at).
 */
export function plannedQueuePromotion(input: {
  stable: StableQueue;
  settings: Pick<AnalysisSettings, 'errorTolerance' | 'errorMargin' | 'maxDurationMinutes' | 'maxExtensionMinutes'>;
  /** The level of the planned promotion test (`plan.promotion.alpha`). */
  alpha: number;
  stepCount: number;
  intervalMinutes: number;
  finalWeight: number;
}): PlannedQueuePromotion {
  const { stable, settings, stepCount, intervalMinutes } = input;
  const budgetLeft = (settings.maxDurationMinutes ?? DEFAULT_BUDGET_MINUTES) - (stepCount - 1) * intervalMinutes;
  const finalMinutes = Math.max(intervalMinutes, Math.min(budgetLeft, intervalMinutes + settings.maxExtensionMinutes / 2));
  const messagesPerMinute = stable.baseline.received / Math.max(1, stable.baseline.receivedMinutes);
  const test = queuePromotionTest({
    reference: stable.reference,
    phi: stable.phi,
    alpha: input.alpha,
    errorTolerance: settings.errorTolerance,
    errorMargin: settings.errorMargin,
    finalWeight: input.finalWeight,
    finalMessages: messagesPerMinute * finalMinutes,
  });
  return { ...test, messagesPerMinute, finalMinutes };
}

/**
 * Whether the queue's promotion test holds the final step: with ReportBatchItemFailures only. Without
 * it a failed message fails its invocation: the errors' promotion test already asks for evidence of
 * those, and the queue excuses the batches they return. (Without the queue's setup, it does.)
 */
export function queuePromotionApplies(setup: { reportBatchItemFailures: boolean } | undefined): boolean {
  return setup?.reportBatchItemFailures !== false;
}
