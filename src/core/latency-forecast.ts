/**
 * What the latency test can show in the canary's planned time, stated by Plan before the first
 * shift. The latency test (src/core/judge/latency.ts) counts each version's requests slower than
 * stable's pre-shift percentile and feeds the counts to the paired test, so stable's share of slow
 * requests is about 1 − percentile/100 (1% at p99), and a candidate whose tail moved out has more.
 * The test has no promotion bar of its own: when the errors' promotion test shows its bar first,
 * the candidate is promoted whatever its slow requests say. So a slowdown is caught only if the
 * paired test tells it from noise before the canary promotes — which at a few slow requests an
 * hour it cannot, and the plan says so instead of leaving it to be learned from a promotion.
 * Measured against the benchmark in docs/judge.md (the expected evidence is a little pessimistic
 * where a first step at 50% gathers most of it: some candidates are caught there by luck).
 *
 * The same expected-evidence calculation as the errors' regressions (`pairedDetectionMinutes`), on
 * the plan's schedule and clock, with the latency test's share of α.
 *
 * @example
 * const latency = latencyForecast({ strategy, requestsPerMinute: 20, thresholdMs: 400, percentile: 99, alpha: 0.01, budget: 60, minutesToPromote: 26, stepLagMinutes: 0, decisionLagMinutes: 1 });
 * latency.regressions[1]; // { label: "5×", slowShare: 0.05, minutesToRollback: null, mayBePromotedFirst: true }
 * latencyClause({ latency, maxDurationMinutes: 60 }); // "; at this traffic a slowdown of the slowest requests (5× stable's share over its p99) cannot be told from noise within 60 minutes"
 */
import { formatMinutes } from './plan-words.ts';
import { round } from './round.ts';
import { pairedDetectionMinutes } from './schedule.ts';
import type { Strategy } from './strategy.ts';

/**
 * The latency test's share of the sequential tests' α, as the judge splits it on an API canary
 * (errors 2 : latency ½ : cost ½ : cold starts ½). An SQS canary has no cold-start check (⅙), and
 * each custom metric takes a share (1): the stated minutes are within a few percent either way.
 */
const LATENCY_TEST_SHARE = 0.5 / 3.5;
/** The slowdowns the forecast speaks of: this many times stable's share of slow requests. */
const FACTORS = [2, 5] as const;

export interface SlowRegression {
  /** "2×", "5×": times stable's share of requests slower than its pre-shift percentile. */
  label: string;
  slowShare: number;
  /** Expected minutes from the first shift to the latency test's rollback; null when not within the budget. */
  minutesToRollback: number | null;
  /**
   * The rollback is not expected before the median promotion (`Forecast.minutesToPromote`): a
   * candidate like it may be promoted before its slow requests are told from noise.
   */
  mayBePromotedFirst: boolean;
}

export interface LatencyForecast {
  /** The percentile of stable's pre-shift durations a request must exceed to count as slow, and its value. */
  percentile: number;
  thresholdMs: number;
  /** Stable's share of slow requests: 1 − percentile/100. */
  stableSlowShare: number;
  regressions: SlowRegression[];
}

export interface LatencyForecastInput {
  strategy: Strategy;
  /** The rate a typical canary meets (`TrafficEstimate.typicalRequestsPerMinute`), as the errors' forecast uses. */
  requestsPerMinute: number;
  thresholdMs: number;
  percentile: number;
  alpha: number;
  /** The budget, and the median minutes to promotion (null when no promotion is likely within it). */
  budget: number;
  minutesToPromote: number | null;
  /** The state machine's clock (stateMachineClock): each step's lag, and a decision's after the last minute it counts. */
  stepLagMinutes: number;
  decisionLagMinutes: number;
}

/** How soon a candidate with 2× and 5× stable's share of slow requests is rolled back, before the canary promotes. */
export function latencyForecast(input: LatencyForecastInput): LatencyForecast {
  const stableSlowShare = round(1 - input.percentile / 100, 6);
  const { minutesToPromote } = input;
  const regressions = FACTORS.map((factor) => {
    const slowShare = round(Math.min(1, factor * stableSlowShare), 6);
    // A decision comes the clock's lag after the last minute it counts, so those minutes end that much before the budget.
    const judged = pairedDetectionMinutes(input.strategy, input.requestsPerMinute, stableSlowShare, slowShare, input.alpha, input.budget - input.decisionLagMinutes, input.stepLagMinutes, LATENCY_TEST_SHARE);
    const minutesToRollback = judged === null ? null : judged + input.decisionLagMinutes;
    const mayBePromotedFirst = minutesToPromote !== null && (minutesToRollback === null || minutesToRollback > minutesToPromote);
    return { label: `${factor}×`, slowShare, minutesToRollback, mayBePromotedFirst };
  });
  return { percentile: input.percentile, thresholdMs: round(input.thresholdMs, 1), stableSlowShare, regressions };
}

/**
 * The summary's clause, only where even a 5× share of slow requests is not expected to be told
 * from noise within the budget, or only after the median promotion: the common case's sentence
 * stays as it was.
 */
export function latencyClause(forecast: { latency?: LatencyForecast; maxDurationMinutes: number }): string {
  const latency = forecast.latency;
  const worst = latency?.regressions[latency.regressions.length - 1];
  if (!latency || !worst) return '';
  const slowdown = `at this traffic a slowdown of the slowest requests (${worst.label} stable's share over its p${latency.percentile})`;
  if (worst.minutesToRollback === null) return `; ${slowdown} cannot be told from noise within ${forecast.maxDurationMinutes} minutes`;
  return worst.mayBePromotedFirst ? `; ${slowdown} may be promoted before it is told from noise (about ${formatMinutes(worst.minutesToRollback)})` : '';
}
