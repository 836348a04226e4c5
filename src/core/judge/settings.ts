/**
 * Analysis settings: what the request may say about how the canary is judged, with defaults.
 * Defaults are sized from the statistics (docs/judge.md, "Why these defaults"), not from one
 * scenario:
 * - alpha 1%: the false-rollback bound for a candidate as good as stable, however often Coalmine
 *   looks (measured: ≤ 0.65% on every shipped healthy scenario over 2,000 seeds).
 * - errorTolerance 1.5 and errorMargin 0.5 points: promotion needs the candidate's error rate shown
 *   below max(1.5 × stable, stable + 0.5%). At stable's 0.5%, that bar is 1%, and a candidate as good
 *   as stable needs ≈ 4,100 requests at the final step to show it (ln(6/α) / KL(0.5% ‖ 1%)): 14
 *   minutes at 50% of 600 requests a minute. A 0.25-point margin would need ≈ 13,000 (45 minutes);
 *   bounding a ratio near 1.2 would need hundreds of candidate errors. The margin decides for
 *   functions that almost never fail; the tolerance for those that fail often.
 * - minRequests 100: a step never passes on a handful of requests (≈ 2 minutes at 10% of 600/min).
 */
import * as z from 'zod/mini';
import '../zod-messages.ts';

export const customMetricSchema = z.strictObject({
  /** A short id used in reasons and figures, e.g. `checkout_failures`. */
  id: z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'letters, digits and _ (1-64), starting with a letter')),
  namespace: z.string().check(z.minLength(1), z.maxLength(255)),
  metricName: z.string().check(z.minLength(1), z.maxLength(255)),
  dimensions: z._default(z.record(z.string().check(z.minLength(1), z.maxLength(255)), z.string().check(z.minLength(1), z.maxLength(1024))), {}),
  versionDimension: z._default(z.string().check(z.minLength(1), z.maxLength(255)), 'ExecutedVersion'),
  /** `count`: events per minute, compared with stable's per invocation like errors; `gauge`: an average, judged by `limit` only. */
  kind: z._default(z.enum(['count', 'gauge']), 'count'),
  direction: z._default(z.enum(['higherIsWorse', 'lowerIsWorse']), 'higherIsWorse'),
  /** Gauges: the limit beyond which (two minutes running) the canary rolls back. */
  limit: z.optional(z.number()),
});

export const analysisSchema = z.strictObject({
  /** Overall false-rollback budget, split over the metrics tested (guardrails 10%, then errors 2 : latency ½ : cost ½ : each custom count 1). */
  alpha: z._default(z.number().check(z.gt(0), z.lte(0.2)), 0.01),
  /** Candidate may fail up to this many times as often as stable and still pass. */
  errorTolerance: z._default(z.number().check(z.gte(1), z.lte(100)), 1.5),
  /** …or up to stable's rate plus this absolute margin, whichever is larger. */
  errorMargin: z._default(z.number().check(z.gte(0), z.lte(1)), 0.005),
  /** Guardrail: candidate error rate at which to roll back at once. */
  maxErrorRate: z._default(z.number().check(z.gt(0), z.lte(1)), 0.2),
  /** Guardrail: candidate p99 in ms above which to roll back at once (none by default). */
  maxP99Ms: z.optional(z.number().check(z.gt(0))),
  /** Guardrail: candidate throttle rate (throttles / attempts) at which to roll back at once. */
  maxThrottleRate: z._default(z.number().check(z.gt(0), z.lte(1)), 0.1),
  /** Percentile of stable's pre-shift latency above which a request counts as slow. */
  latencyPercentile: z._default(z.number().check(z.gte(50), z.lte(99.9)), 99),
  /**
   * Cost per request: the candidate rolls back once shown to have a median duration above this many
   * times stable's (pre-shift) median. 1.25 by default: run-to-run noise in Lambda durations is a
   * few percent, so a tolerance at 1 would turn small, real but harmless shifts into rollbacks on busy
   * functions; a quarter more compute per request is a change on the bill someone should approve;
   * and it leaves the test power: a doubled median is over 1.25× from a few hundred requests.
   */
  costTolerance: z._default(z.number().check(z.gte(1), z.lte(10)), 1.25),
  /**
   * Cold starts: the candidate rolls back once shown to cold-start more than this many times as often
   * as stable (per invocation). Compared on the ratio grid's points (powers of √2), a tolerance
   * between two of them read as the next one up: the default 1.4 is tested at √2. Not 1: each shift
   * makes the candidate scale up, and each new environment is a cold start stable does not pay — for
   * a step of T minutes at share w, about 1 + Δw·d / (60·w·T·r) times stable's rate (d the mean
   * duration in seconds, r the cold-start rate): 1.07 for 100 ms at 0.5% over 5 minutes. Not 2: a
   * 4× regression at 600 requests a minute is then caught in only about half of the canaries before
   * a healthy one would promote (docs/signals.md has the numbers). Raise it for functions with long
   * durations and rare cold starts.
   */
  coldStartTolerance: z._default(z.number().check(z.gte(1), z.lte(16)), 1.4),
  /** Most candidate invocations a step needs before it may pass (Plan asks less where the traffic is thin: half what the step's interval brings). */
  minRequests: z._default(z.number().check(z.int(), z.gte(0), z.lte(10_000_000)), 100),
  /**
   * The canary's budget: by this many minutes after the first shift it has promoted, or rolled back
   * as inconclusive. Plan sizes the promotion bar so that 95% of candidates as good as stable are
   * promoted within it. Unset, Plan chooses it: an hour (AppConfig's recommended strategy takes an
   * hour end to end); where an hour could not show even the loosest bar, as long as that bar needs,
   * up to 150 minutes (src/core/forecast.ts, `planBudget`).
   * Plan writes the budget it chose into the plan's `analysis`, so every later look holds to it.
   */
  maxDurationMinutes: z.optional(z.number().check(z.int(), z.gte(5), z.lte(7 * 24 * 60))),
  /**
   * When the traffic cannot show the default bar within the budget: `loosen` takes the tightest bar
   * it can show and says so; `refuse` makes Plan refuse, with the numbers, before anything changes.
   */
  lowTraffic: z._default(z.enum(['loosen', 'refuse']), 'loosen'),
  /** How long to hold a step beyond its interval for lack of evidence before failing safe. */
  maxExtensionMinutes: z._default(z.number().check(z.int(), z.gte(0), z.lte(7 * 24 * 60)), 120),
  /** Minutes of stable traffic before the first shift that make the baseline. */
  baselineMinutes: z._default(z.number().check(z.int(), z.gte(1), z.lte(24 * 60)), 15),
  /** How often to look during a step, in minutes. */
  evaluationMinutes: z._default(z.number().check(z.int(), z.gte(1), z.lte(60)), 1),
  /** Seconds after a minute ends before its metrics count as settled. */
  settleSeconds: z._default(z.number().check(z.int(), z.gte(0), z.lte(900)), 60),
  customMetrics: z._default(z.array(customMetricSchema).check(z.maxLength(10)), []),
});

/**
 * The budget when the request sets none: an hour, as AppConfig's recommended strategy takes end to
 * end and as people already wait for a release.
 */
export const DEFAULT_BUDGET_MINUTES = 60;
/**
 * How long an unset budget may grow for the default bar when the request would rather refuse than
 * loosen it (`lowTraffic: "refuse"`): 90 minutes, CodeDeploy's slowest predefined Lambda
 * configuration (10% every 10 minutes).
 */
export const LONGEST_BUDGET_FOR_DEFAULT_BAR_MINUTES = 90;
/**
 * How long an unset budget may grow where an hour cannot show even the loosest bar (a few requests
 * a minute), before the plan gives up the promotions: two and a half hours. Telling a candidate as
 * good as stable at 0.5% from a gross 5% takes about 250–300 candidate requests (binomial sums,
 * docs/judge.md), which a function serving 2 requests a minute brings in about two hours at the
 * plan's highest weights; the extra half hour pays for looking every minute. Past that a release
 * started in the afternoon is no longer decided the same working day, and the plan says "expect an
 * inconclusive rollback" instead. At a daily low an unset budget may grow as far for the bar the
 * function's usual traffic shows (src/core/forecast.ts); neither ever past the schedule's longest run.
 */
export const LONGEST_BUDGET_MINUTES = 150;

export type AnalysisSettings = z.output<typeof analysisSchema>;
export type AnalysisRequest = z.input<typeof analysisSchema>;
export type CustomMetric = z.output<typeof customMetricSchema>;
