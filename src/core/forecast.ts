/**
 * What a canary can prove in the time it has, worked out in Plan before any traffic moves.
 *
 * From the stable version's recent traffic (the baseline minutes, and a day of hourly sums where the
 * baseline is too thin) the plan chooses the step weights (when the request named no strategy), the
 * promotion bar and the exposure each step needs, and forecasts how long a candidate as good as
 * stable takes to be promoted and how fast a 2× and a 5× regression are rolled back. Pure: the same
 * traffic and settings give the same plan, so the benchmark can put the forecast next to what it
 * measures.
 *
 * The bar. The default is max(errorTolerance × stable, stable + errorMargin). The canary has a budget
 * (`maxDurationMinutes`): when even 95% of candidates as good as stable could not show the default
 * bar within it, the plan takes the tightest bar that they can (or refuses, with
 * `lowTraffic: "refuse"`), and says so. At a daily low the bar is the function's, not the hour's: an
 * unset budget grows for the bar the day's usual traffic shows, rather than loosen to the lull's
 * (`lullBar`). Where traffic is rich enough to show the default bar in less
 * than TARGET_MINUTES, the plan tightens the bar until the median promotion takes TARGET_MINUTES:
 * the same time, a stronger promise. Either way the bar is fixed here, from pre-shift data only, so
 * the promotion test's guarantee is exact.
 *
 * @example
 * const traffic = estimateTraffic({ minutes: 15, invocations: 300, errors: 2 }, history);
 * const planning = planCanary({ traffic, strategy: undefined, settings });
 * planning.forecast.summary; // "At ~20 requests a minute and 0.50% errors, this canary promotes in about 45 minutes …"
 */
import { stateMachineClock } from './clock.ts';
import { formatCount, formatRate } from './judge/check.ts';
import { promotionAlternative, promotionChanceAfter, promotionRequestsQuantile, type PromotionTest } from './judge/promotion.ts';
import { DEFAULT_BUDGET_MINUTES, LONGEST_BUDGET_FOR_DEFAULT_BAR_MINUTES, LONGEST_BUDGET_MINUTES, type AnalysisSettings } from './judge/settings.ts';
import type { PlannedPromotion } from './judge/types.ts';
import type { HourlyTraffic } from './ports.ts';
import { latencyClause, latencyForecast, type LatencyForecast } from './latency-forecast.ts';
import { formatMinutes, perMinute } from './plan-words.ts';
import { queueGuaranteeClause, queuePromotionBar, type QueuePromotionBar, type QueueTestInput } from './queue-forecast.ts';
import { pairedDetectionMinutes, Schedule } from './schedule.ts';
import { DEFAULT_API_STRATEGY, type Strategy } from './strategy.ts';

export interface TrafficEstimate {
  /** Requests a minute at the alias during the canary: the baseline with the last hour, as the day's shape says the next hour goes. */
  requestsPerMinute: number;
  /**
   * The rate a typical canary meets, for how long it takes: bursty traffic brings its excess over the
   * quiet rate in a few lumps, and over a canary's twenty-odd minutes the median canary meets about
   * half of it (the grid's bursts, 5× for ~3 minutes every ~20, give 0.8 of the mean rate; half the
   * excess predicts 0.83). Steady and diurnal traffic: the mean rate.
   */
  typicalRequestsPerMinute: number;
  /**
   * The rate the plan counts on for its headroom: no more than the baseline's median minute (bursty
   * traffic's quiet rate), less a one-sided 90% allowance for Poisson noise.
   */
  planningRequestsPerMinute: number;
  /**
   * Set only at a daily low (LULL_RATIO, and yesterday's traffic did not fall from this hour on): the
   * day's mean rate, counted as planningRequestsPerMinute counts the hour's (quiet share, allowance).
   */
  usualPlanningRequestsPerMinute?: number;
  /** Stable's error rate. */
  errorRate: number;
  /**
   * Bounds on it: the default bar starts from a one-sided 99% lower bound (a bar no looser than the
   * data support, so that a regression at the default bar is not promoted because stable's rate was
   * overestimated), the plan's headroom from a one-sided 90% upper bound.
   */
  errorRateLower: number;
  errorRateUpper: number;
  /** Requests and errors the error rate was estimated from, and whether the day's history was used. */
  requests: number;
  errors: number;
  fromHistory: boolean;
  /** Stable's pre-shift latency at the judged percentile (`Baseline.latencyThresholdMs`); absent with no duration data, when latency is not compared. */
  latencyThresholdMs?: number;
}

/**
 * A lull: the day's mean at least 1.5× the hour's. Steady and bursty traffic stays within about 1.3×
 * (the grid's steady and bursty cells: at most 1.22× over 100 seeds); a diurnal low is (1 − amplitude).
 */
const LULL_RATIO = 1.5;
/** Below this many baseline errors (a relative precision of 5%) stable's error rate also draws on the day's history. */
const THIN_BASELINE_ERRORS = 400;
/**
 * The plan fits this share of healthy promotions in the budget (not just the median), its estimates
 * taken at their cautious ends (stable's rate at its upper bound, the traffic at its quiet rate), so
 * that after the minute-by-minute looks and the estimates' own noise about 95% still make it. 97% was
 * measured too: a few named schedules gained a point or three, but where the budget binds it loosens
 * the bar, and 2× regressions at 150 requests a minute slipped under it (docs/judge.md).
 */
const PLANNING_QUANTILE = 0.95;
/** z of one-sided 90% and 99% bounds. */
const Z90 = 1.2816;
const Z99 = 2.3263;

/**
 * Stable's request and error rates from the baseline and the alias' hourly history: the last hour
 * steadies the request rate (15 minutes of bursty traffic may hold a burst, or none), and the day
 * steadies the error rate where the baseline is too thin (a quiet function's 15 minutes hold a
 * handful of errors, or none).
 *
 * Traffic that rises or falls through the day is carried to the canary at yesterday's pace: each
 * window's requests are moved from its own centre to the centre of the canary's first TARGET_MINUTES
 * (the last hour, whole hours ending up to an hour before the baseline, lags most). `baselineStart`
 * (ISO) places the last hour; without it the hour is taken to end where the baseline starts.
 */
export function estimateTraffic(baseline: { minutes: number; invocations: number; errors: number; medianInvocationsPerMinute?: number; latencyThresholdMs?: number }, history: readonly HourlyTraffic[] = [], baselineStart?: string): TrafficEstimate {
  const hours = history.filter((hour) => hour.invocations >= 0 && hour.errors >= 0);
  const lastHour = hours[hours.length - 1];
  const rateMinutes = baseline.minutes + (lastHour ? 60 : 0);
  const rateRequests = baseline.invocations + (lastHour?.invocations ?? 0);
  // Minutes are counted from the first shift; the baseline ends a minute before it (settling).
  const slope = dailySlope(hours);
  const toCanary = (centre: number) => Math.min(2, Math.max(0.5, Math.exp(slope * (TARGET_MINUTES / 2 - centre))));
  const baselineCentre = -1 - baseline.minutes / 2;
  const gap = lastHour && baselineStart ? Math.min(60, Math.max(0, (Date.parse(baselineStart) - Date.parse(lastHour.start)) / 60_000 - 60)) : 0;
  const moved = baseline.invocations * toCanary(baselineCentre) + (lastHour ? lastHour.invocations * toCanary(-1 - baseline.minutes - (Number.isFinite(gap) ? gap : 0) - 30) : 0);
  const requestsPerMinute = rateMinutes > 0 ? moved / rateMinutes : 0;
  const rise = toCanary(baselineCentre);
  const now = requestsPerMinute / rise;
  // A Poisson median sits about half a request under its mean.
  const quiet = baseline.medianInvocationsPerMinute === undefined ? now : Math.min(now, baseline.medianInvocationsPerMinute + 0.5);
  const planningRequestsPerMinute = Math.max(0, quiet * Math.min(1, rise) * (1 - Z90 / Math.sqrt(Math.max(1, rateRequests))));
  const typicalRequestsPerMinute = (quiet * rise + requestsPerMinute) / 2;
  const day = hours.length >= 24 ? hours.slice(-24).reduce((sum, hour) => sum + hour.invocations, 0) : 0;
  const usual = now > 0 ? (day / (24 * 60)) * (quiet / now) * (1 - Z90 / Math.sqrt(Math.max(1, day))) : 0;
  // A lull the canary can wait out: traffic that is falling would leave a longer canary with less.
  const usualPlanningRequestsPerMinute = usual >= LULL_RATIO * planningRequestsPerMinute && slope >= 0 ? usual : undefined;

  let requests = baseline.invocations;
  let errors = baseline.errors;
  let fromHistory = false;
  if (hours.length > 0 && baseline.errors < THIN_BASELINE_ERRORS) {
    for (const hour of hours) {
      requests += hour.invocations;
      errors += hour.errors;
    }
    fromHistory = true;
  }
  const errorRate = requests > 0 ? errors / requests : 0;
  const errorRateLower = requests > 0 ? Math.max(0, (errors - Z99 * Math.sqrt(errors)) / requests) : 0;
  const errorRateUpper = requests > 0 ? Math.min(1, (errors + 1 + Z90 * Math.sqrt(errors + 1)) / requests) : 1;
  const usualTraffic = usualPlanningRequestsPerMinute === undefined ? {} : { usualPlanningRequestsPerMinute };
  const latency = baseline.latencyThresholdMs === undefined ? {} : { latencyThresholdMs: baseline.latencyThresholdMs };
  return { requestsPerMinute, typicalRequestsPerMinute, planningRequestsPerMinute, ...usualTraffic, errorRate, errorRateLower, errorRateUpper, requests, errors, fromHistory, ...latency };
}

/**
 * How fast the traffic grows at this hour, as it did yesterday (log-rate per minute): the day's two
 * hours that begin now against the two that end now, two hours apart. 0 without a full day of history.
 */
function dailySlope(hours: readonly HourlyTraffic[]): number {
  if (hours.length < 24) return 0;
  const day = hours.slice(-24);
  const ahead = day[0]!.invocations + day[1]!.invocations;
  const behind = day[22]!.invocations + day[23]!.invocations;
  if (!(ahead > 0 && behind > 0)) return 0;
  return Math.log(ahead / behind) / 120;
}

/**
 * Weights Coalmine picks from when the request names no strategy, least exposure first: the first
 * whose promotion fits the budget at the default bar. The final weight sets how fast evidence comes;
 * where traffic is thin a regression's absolute cost is small too, so larger weights are fine.
 */
export const TRAFFIC_LADDERS: readonly Strategy[] = [
  DEFAULT_API_STRATEGY,
  { name: 'Coalmine for moderate traffic', steps: [25, 50, 75], intervalMinutes: 5 },
  { name: 'Coalmine for low traffic', steps: [50, 95], intervalMinutes: 5 },
];

/**
 * A median promotion in this many minutes is what fast canaries take today; where the traffic shows
 * the default bar sooner, the plan tightens the bar to use that time (with weights it picks; a named
 * strategy's own schedule sets its pace).
 */
export const TARGET_MINUTES = 20;

export interface Regression {
  /** How it is named: "2×", "5×" (of stable's rate), or "2× the bar" when stable had no errors. */
  label: string;
  errorRate: number;
  /** Expected minutes from the first shift to the rollback; null when it is under the bar and may be promoted. */
  minutesToRollback: number | null;
}

export interface Forecast {
  requestsPerMinute: number;
  stableErrorRate: number;
  /** Median minutes for a candidate as good as stable to be promoted; null when it cannot be within the budget. */
  minutesToPromote: number | null;
  /** 95th percentile of the same. */
  minutesToPromoteP95: number | null;
  /** Share of candidates as good as stable that show the bar within the budget (0–1, two digits); the rest roll back as inconclusive. */
  promotedWithinBudget: number;
  promotionBar: {
    errorRate: number;
    /** The default bar for this stable rate, and whether the plan kept, tightened or loosened it. */
    defaultErrorRate: number;
    choice: 'default' | 'tightened' | 'loosened' | 'unreachable';
  };
  maxDurationMinutes: number;
  /** Failed requests an hour that a candidate at the bar would add, at today's traffic, once promoted. */
  extraFailuresPerHourAtBar: number;
  regressions: Regression[];
  /**
   * SQS canaries with steps: the bar the queue's promotion test holds the final step to
   * (src/core/judge/queue-promotion.ts). With ReportBatchItemFailures a candidate's failed messages
   * are no Lambda errors and show only in the queue's retry rate, so the bar on requests says nothing of them.
   */
  queuePromotionBar?: QueuePromotionBar;
  /**
   * What the latency test can show before the canary promotes: how soon a candidate with 2× and 5×
   * stable's share of slow requests is rolled back (src/core/latency-forecast.ts). Absent when
   * stable had no duration data before the shift (latency is not compared).
   */
  latency?: LatencyForecast;
  /** What the canary will have shown before it promotes. */
  guarantee: string;
  /** One sentence: traffic, promotion time and bar, and how fast a regression is rolled back. */
  summary: string;
}

export interface CanaryPlanning {
  strategy: Strategy;
  /** Whether Coalmine chose the weights (the request named no strategy). */
  strategyChosen: boolean;
  /** The promotion test and each step's exposure (the final step's sized so that a regression that sets in late is seen at the weight promotion brings). */
  promotion: PlannedPromotion;
  forecast: Forecast;
  /** Set when `lowTraffic: "refuse"` and the default bar cannot be shown in the budget: why, with the numbers. */
  refusal?: string;
}

export interface PlanningInput {
  traffic: TrafficEstimate;
  /** The strategy the request named; undefined lets the plan pick weights for the traffic. */
  strategy: Strategy | undefined;
  /**
   * Coalmine's own strategy for this trigger when the request names none, in place of the weights
   * it picks for the traffic: an SQS queue's steps must last its retry cycles (src/core/sqs.ts).
   */
  defaultStrategy?: Strategy;
  /** SQS canaries: the queue before the shift, whose promotion bar the forecast states. */
  queueTest?: QueueTestInput;
  settings: Pick<AnalysisSettings, 'alpha' | 'errorTolerance' | 'errorMargin' | 'maxDurationMinutes' | 'lowTraffic' | 'minRequests' | 'maxErrorRate' | 'maxExtensionMinutes'> &
    Partial<Pick<AnalysisSettings, 'settleSeconds' | 'evaluationMinutes' | 'latencyPercentile'>>;
}

const MAX_BAR = 0.5;
/**
 * How far under a gross regression the loosest bar stays. The promotion test already promotes a
 * candidate *at* the bar in at most α of canaries, so the margin only has to cover the error in
 * stable's estimated rate (a day at 5 requests a minute holds ~36 errors at 0.5%: ±17%, one
 * standard deviation); 10% keeps a gross regression rolled back in ≥ 99% of seeds on the traffic
 * grid, where 20% cost the thinnest functions their promotions (docs/judge.md).
 */
const GROSS_MARGIN = 1.1;
/**
 * The loosest bar a plan takes: a gross regression (10× stable's rate, or +10 points, whichever is
 * smaller; +10 points when stable had no errors) stays GROSS_MARGIN above it, so the promotion test
 * still rolls it back. Where even that bar cannot be shown in the budget, the plan says it will
 * likely end inconclusive rather than promise less.
 */
export function loosestBar(stableRate: number): number {
  const gross = stableRate > 0 ? Math.min(10 * stableRate, stableRate + 0.1) : 0.1;
  return Math.min(MAX_BAR, gross / GROSS_MARGIN);
}

/**
 * The error guardrail a canary holds to: `maxErrorRate`, unless stable itself fails nearly that
 * often; then a gross regression of stable's rate (as `loosestBar` counts one, 10× or 10 points
 * more, whichever is smaller, from stable's 90% upper estimate). A guardrail at or under stable's own
 * rate would roll a candidate as good as stable back at once: a queue whose batches time out on
 * either version, an API that rejects a quarter of its requests by design.
 */
export function errorGuardrail(maxErrorRate: number, traffic: Pick<TrafficEstimate, 'errorRateUpper'>): number {
  const upper = traffic.errorRateUpper;
  return round(Math.min(1, Math.max(maxErrorRate, Math.min(10 * upper, upper + 0.1))), 6);
}

/** Plans the canary: weights, bar, exposure, and the forecast that says so. */
export function planCanary(input: PlanningInput): CanaryPlanning {
  const { traffic, settings } = input;
  // A strategy whose schedule is fixed: the one the request named, else Coalmine's own for the trigger.
  const fixed = input.strategy ?? input.defaultStrategy;
  const unsetBudget = scheduleBudget(fixed);
  let budget = settings.maxDurationMinutes ?? unsetBudget;
  // The state machine's clock (stateMachineClock): the budget counts minutes from the first shift,
  // and a decision comes the settling time after the last minute it counts, so those minutes must be
  // served that much before the budget ends; each step is held past its interval while its last
  // minutes settle.
  const clock = stateMachineClock(settings);
  const servedBy = () => budget - clock.decisionLagMinutes;
  const scheduleOf = (s: Strategy, requestsPerMinute: number) => new Schedule(s, requestsPerMinute, stateMachineClock(settings, s.intervalMinutes).stepLagMinutes);
  const decidedBy = (judgedMinutes: number) => judgedMinutes + clock.decisionLagMinutes;
  /** Quantiles beyond a day of traffic are not worth computing: that canary cannot promote in time. */
  const dayOfRequests = traffic.requestsPerMinute * 24 * 60;
  const defaultBar = Math.min(MAX_BAR, Math.max(settings.errorTolerance * traffic.errorRateLower, traffic.errorRateLower + settings.errorMargin));
  const candidates = fixed ? [fixed] : TRAFFIC_LADDERS;
  const strategy = candidates.find((s) => plannedMinutes(s, defaultBar) <= servedBy()) ?? candidates[candidates.length - 1]!;

  // The pace to use where traffic is rich: TARGET_MINUTES for weights Coalmine picks for the traffic;
  // a fixed schedule keeps its own (its steps, each with the clock's lag), so a fast schedule stays fast.
  const finalStart = scheduleOf(strategy, 0).finalStart();
  const pace = fixed ? decidedBy(finalStart + Math.max(1, strategy.intervalMinutes)) : TARGET_MINUTES;
  let bar = defaultBar;
  let choice: Forecast['promotionBar']['choice'] = 'default';
  const limit = Math.max(defaultBar, loosestBar(traffic.errorRate));
  let lull = false;
  if (plannedMinutes(strategy, defaultBar) > servedBy() && settings.maxDurationMinutes === undefined) {
    // An unset budget grows before the promise shrinks: for the default bar when the request would
    // rather refuse than loosen it; at a daily low, for the bar the function's usual traffic shows
    // (the bar is the function's, not the hour's); else only as far as the loosest bar needs.
    // Never past the schedule's longest run: the final step is held at most its interval and
    // `maxExtensionMinutes`, and then rolls back as inconclusive whatever the budget says.
    const longestRun = decidedBy(finalStart + strategy.intervalMinutes + settings.maxExtensionMinutes);
    const usualBar = settings.lowTraffic === 'refuse' ? undefined : lullBar();
    budget =
      settings.lowTraffic === 'refuse'
        ? planBudget(unsetBudget, decidedBy(plannedMinutes(strategy, defaultBar)), Math.min(LONGEST_BUDGET_FOR_DEFAULT_BAR_MINUTES, longestRun))
        : planBudget(unsetBudget, decidedBy(plannedMinutes(strategy, usualBar ?? limit)), Math.min(LONGEST_BUDGET_MINUTES, longestRun));
    lull = usualBar !== undefined && budget > unsetBudget;
  }
  if (plannedMinutes(strategy, defaultBar) > servedBy()) {
    const reachable = plannedMinutes(strategy, limit) <= servedBy();
    bar = reachable ? searchBar(defaultBar, limit, (b) => plannedMinutes(strategy, b) <= servedBy()) : limit;
    choice = reachable ? 'loosened' : 'unreachable';
  } else if (medianMinutes(strategy, defaultBar) < pace) {
    const floor = Math.min(defaultBar, Math.max(1.1 * traffic.errorRateUpper, traffic.errorRate * 1.05));
    const fits = (b: number) => medianMinutes(strategy, b) <= pace && plannedMinutes(strategy, b) <= servedBy();
    // A tighter bar must still promote PLANNING_QUANTILE as the judge promotes: only once the final
    // weight has served its share (on a long schedule, late), with the evidence over the bar then.
    // (Searched apart, from the bar the pace allows: the chance costs far more to work out.)
    const promotes = (b: number) => promotedChance(b, cautiousRate(b), traffic.planningRequestsPerMinute) >= PLANNING_QUANTILE;
    const paced = fits(floor) ? floor : searchBar(floor, defaultBar, fits);
    const tighter = promotes(paced) ? paced : searchBar(paced, defaultBar, promotes);
    if (tighter < defaultBar * 0.999) {
      bar = tighter;
      choice = 'tightened';
    }
  }

  // Stated as it is kept: the bar in the plan is the bar the judge holds the candidate to.
  bar = round(bar, 6);
  const test = testFor(bar);
  const schedule = scheduleOf(strategy, traffic.typicalRequestsPerMinute);
  const mainMedian = schedule.minutesFor(promotionRequestsQuantile(test, traffic.errorRate, 0.5, dayOfRequests));
  const finalMinutes = finalMinutesFor(bar);
  const finalWeight = (strategy.steps[strategy.steps.length - 1] ?? 100) / 100;
  // Where the budget ends the hold, the share is what the plan's cautious rate brings by then: at the
  // typical rate, a step whose traffic ran a little under it would miss its share at the last look.
  const finalStepMinRequests = Math.ceil(finalWeight * Math.min(traffic.typicalRequestsPerMinute * finalMinutes, traffic.planningRequestsPerMinute * Math.max(strategy.intervalMinutes, servedBy() - finalStart)));
  const stepMinRequests = strategy.steps.map((weight) => Math.min(settings.minRequests, Math.ceil((0.5 * traffic.typicalRequestsPerMinute * weight * strategy.intervalMinutes) / 100)));
  const withFloor = (minutes: number) => (Number.isFinite(minutes) ? Math.max(minutes, Math.ceil(finalStart + finalMinutes)) : minutes);
  const median = withFloor(mainMedian);
  const p95 = withFloor(schedule.minutesFor(promotionRequestsQuantile(test, traffic.errorRate, 0.95, dayOfRequests)));

  const regressions = regressionRates(traffic.errorRate, bar).map(({ label, errorRate }) => ({
    label,
    errorRate,
    minutesToRollback: minutesToRollback(errorRate),
  }));
  const forecast: Forecast = {
    requestsPerMinute: round(traffic.requestsPerMinute, 2),
    stableErrorRate: round(traffic.errorRate, 6),
    minutesToPromote: median <= servedBy() ? decidedBy(median) : null,
    minutesToPromoteP95: p95 <= servedBy() ? decidedBy(p95) : null,
    promotedWithinBudget: round(promotedChance(bar, traffic.errorRate, traffic.typicalRequestsPerMinute), 2),
    promotionBar: { errorRate: bar, defaultErrorRate: round(defaultBar, 6), choice },
    maxDurationMinutes: budget,
    extraFailuresPerHourAtBar: round(Math.max(0, bar - traffic.errorRate) * traffic.requestsPerMinute * 60, 1),
    regressions,
    guarantee: '',
    summary: '',
  };
  // No step, nothing judged: an all-at-once shift has no final step to hold.
  if (input.queueTest && strategy.steps.length) forecast.queuePromotionBar = queuePromotionBar(input.queueTest, strategy, { ...settings, maxDurationMinutes: budget }, test.alpha);
  if (traffic.latencyThresholdMs !== undefined) {
    const { stepLagMinutes, decisionLagMinutes } = stateMachineClock(settings, strategy.intervalMinutes);
    forecast.latency = latencyForecast({ strategy, requestsPerMinute: traffic.typicalRequestsPerMinute, thresholdMs: traffic.latencyThresholdMs, percentile: settings.latencyPercentile ?? 99, alpha: settings.alpha, budget, minutesToPromote: forecast.minutesToPromote, stepLagMinutes, decisionLagMinutes });
  }
  forecast.guarantee = guaranteeSentence(forecast, settings.alpha, lull ? unsetBudget : undefined);
  forecast.summary = summarySentence(forecast);
  const planning: CanaryPlanning = {
    strategy,
    strategyChosen: input.strategy === undefined,
    promotion: { ...test, stepMinRequests, finalStepMinRequests, finalStepMinutes: Math.ceil(finalMinutes) },
    forecast,
  };
  if (settings.lowTraffic === 'refuse' && (choice === 'loosened' || choice === 'unreachable')) {
    planning.refusal =
      `analysis.lowTraffic: at ${perMinute(traffic.requestsPerMinute)} and ${formatRate(traffic.errorRate)} errors, ` +
      `a candidate as good as stable cannot show the ${formatRate(defaultBar)} bar within the ${budget}-minute budget ` +
      `(95% of such canaries would need about ${formatMinutes(plannedMinutes(strategy, defaultBar))})` +
      (choice === 'loosened' ? `; the tightest bar it can show is ${formatRate(bar)}` : '') +
      `; raise analysis.maxDurationMinutes, or drop lowTraffic: "refuse" to accept that bar`;
  }
  return planning;

  /**
   * Minutes the final weight is held for its share with bar b. The final weight is what promotion
   * brings: at least half of the expected canary (and half of its pace) is spent there, so a
   * regression that sets in during the first half is seen at it and pulls the promotion evidence down
   * before promotion — but never past the budget (a long named schedule reaches its final step late),
   * never past half the step's extension (a step is held at most its interval and
   * `maxExtensionMinutes`: asking for all of it would roll a good candidate back as inconclusive
   * whenever its traffic ran a little under the forecast, as an SQS queue's long retry-cycle steps
   * did), and never less than the step's own interval.
   */
  function finalMinutesFor(b: number): number {
    const median = scheduleOf(strategy, traffic.typicalRequestsPerMinute).minutesFor(promotionRequestsQuantile(testFor(b), traffic.errorRate, 0.5, dayOfRequests));
    const lateOnsetMinutes = Math.max(pace / 2, Number.isFinite(median) ? median / 2 : 0);
    const longestHold = strategy.intervalMinutes + settings.maxExtensionMinutes / 2;
    return Math.max(strategy.intervalMinutes, Math.min(lateOnsetMinutes, longestHold, servedBy() - finalStart));
  }

  /**
   * The share of candidates erring at `rate` that bar b promotes within the budget, as the judge
   * promotes them: not before the final weight has served its share, and then only with the evidence
   * over the bar at that time (promotionChanceAfter).
   */
  function promotedChance(b: number, rate: number, requestsPerMinute: number): number {
    if (finalStart + strategy.intervalMinutes > servedBy()) return 0;
    const served = scheduleOf(strategy, requestsPerMinute);
    const heldUntil = strategy.steps.length ? served.requestsBy(Math.min(servedBy(), finalStart + finalMinutesFor(b))) : 0;
    return promotionChanceAfter(testFor(b), rate, heldUntil, served.requestsBy(servedBy()));
  }

  /** Stable's rate as the plan's headroom takes it: its upper estimate, short of the bar. */
  function cautiousRate(b: number): number {
    return Math.max(traffic.errorRate, Math.min(traffic.errorRateUpper, b * 0.95));
  }

  function testFor(b: number): PromotionTest {
    return { bar: b, alternative: promotionAlternative(traffic.errorRate, b), alpha: settings.alpha };
  }

  /** Median minutes to promote with bar b, for a candidate at stable's estimated rate. */
  function medianMinutes(s: Strategy, b: number): number {
    return decidedBy(scheduleOf(s, traffic.typicalRequestsPerMinute).minutesFor(promotionRequestsQuantile(testFor(b), traffic.errorRate, 0.5, dayOfRequests)));
  }

  /**
   * Minutes by which PLANNING_QUANTILE of candidates as good as stable are promoted, with room for what
   * the estimates may have wrong: stable's rate at its upper estimate, the traffic at its lower.
   */
  function plannedMinutes(s: Strategy, b: number, requestsPerMinute = traffic.planningRequestsPerMinute): number {
    return scheduleOf(s, requestsPerMinute).minutesFor(promotionRequestsQuantile(testFor(b), cautiousRate(b), PLANNING_QUANTILE, dayOfRequests));
  }

  /**
   * At a daily low, the bar to keep: the one the day's mean traffic shows within the unset budget, but
   * no tighter than a typical canary (the median) at the hour's traffic shows in it — the budget grows
   * for the slowest canaries, not the typical one, so a function that never fails (every canary as slow
   * as the typical one) gets little more. Undefined at no lull, or for a function always this thin.
   */
  function lullBar(): number | undefined {
    const usual = traffic.usualPlanningRequestsPerMinute;
    if (usual === undefined) return undefined;
    const shows = (b: number) => decidedBy(plannedMinutes(strategy, b, usual)) <= unsetBudget;
    const typical = (b: number) => medianMinutes(strategy, b) <= unsetBudget - clock.decisionLagMinutes;
    if (!shows(limit) || !typical(limit)) return undefined;
    const usualBar = shows(defaultBar) ? defaultBar : searchBar(defaultBar, limit, shows);
    return typical(usualBar) ? usualBar : searchBar(usualBar, limit, typical);
  }

  function minutesToRollback(errorRate: number): number | null {
    const detected = pairedDetectionMinutes(strategy, traffic.typicalRequestsPerMinute, traffic.errorRate, errorRate, settings.alpha, budget, stateMachineClock(settings, strategy.intervalMinutes).stepLagMinutes);
    // The guardrail rolls back at the first look: one evaluation and the settling time after the shift.
    if (errorRate >= settings.maxErrorRate) return Math.min(detected === null ? Infinity : decidedBy(detected), clock.firstLookMinutes);
    if (detected !== null) return decidedBy(detected);
    return errorRate >= bar ? decidedBy(budget) : null;
  }
}

/**
 * An unset budget before the traffic is considered: an hour, or, for a fixed schedule that is long
 * (one the request names, or an SQS queue's default), its steps and half as long again for the
 * evidence (CodeDeploy's Linear10PercentEvery10Minutes, nine 10-minute steps, gets 135 minutes; a
 * queue with a 15-minute visibility timeout, four 30-minute steps, 180): a schedule that could never
 * finish within the budget would roll every release back as inconclusive.
 */
function scheduleBudget(fixed: Strategy | undefined): number {
  const schedule = fixed ? fixed.steps.length * fixed.intervalMinutes : 0;
  return Math.max(DEFAULT_BUDGET_MINUTES, Math.ceil(1.5 * schedule));
}

/**
 * The budget an unset `maxDurationMinutes` gets, given the minutes the bar it must keep needs for
 * 95% of candidates as good as stable: at least `unset` (an hour, or a long named schedule's own
 * time), and those minutes up to `longest`. The bar it must keep is the loosest (the thinnest
 * traffic: a few requests a minute), so the plan takes the time before it gives up the promotions;
 * anywhere else the hour stands, since a longer wait would only buy a tighter bar where a looser one
 * already costs few failed requests an hour — except at a daily low, where the bar to keep is the
 * one the function's usual traffic shows. With `lowTraffic: "refuse"` it is the default bar,
 * which the request would rather wait for (a shorter while) than loosen.
 */
function planBudget(unset: number, minutesForBar: number, longest: number): number {
  return Math.max(unset, Math.min(longest, minutesForBar));
}

/** Geometric bisection for the smallest bar in [low, high] that satisfies `ok` (ok is monotone: true from some bar on). */
function searchBar(low: number, high: number, ok: (bar: number) => boolean): number {
  let lo = Math.max(low, 1e-7);
  let hi = high;
  for (let i = 0; i < 40 && hi / lo > 1.002; i++) {
    const mid = Math.sqrt(lo * hi);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The regressions the forecast speaks of: 2× and 5× stable's rate, or 2× and 5× the bar when stable had no errors. */
function regressionRates(stableRate: number, bar: number): Array<{ label: string; errorRate: number }> {
  // Past 100% a multiple names a rate no candidate can have: it is said as what it is, every request failing.
  if (stableRate > 0) return [2, 5].map((f) => (f * stableRate >= 1 ? { label: `${f}× (every request failing)`, errorRate: 1 } : { label: `${f}×`, errorRate: round(f * stableRate, 6) }));
  return [2, 5].map((f) => ({ label: `${f}× the bar`, errorRate: round(Math.min(1, f * bar), 6) }));
}

function guaranteeSentence(forecast: Forecast, alpha: number, lullFrom?: number): string {
  const bar = forecast.promotionBar;
  const harm = `at ${perMinute(forecast.requestsPerMinute)} that is at most ~${formatCount(forecast.extraFailuresPerHourAtBar)} more failed requests an hour than stable's`;
  const kept = bar.choice === 'default' ? 'to keep the default bar rather than loosen it to what this hour shows' : 'for a tighter bar than this hour shows, nearer the one its usual traffic shows';
  const lull = lullFrom === undefined ? undefined : `traffic is at its daily low, so the budget grows from ${lullFrom} to ${forecast.maxDurationMinutes} minutes ${kept}`;
  const why =
    bar.choice === 'tightened'
      ? ` (tighter than the default ${formatRate(bar.defaultErrorRate)}: the traffic shows it in about ${TARGET_MINUTES} minutes)`
      : bar.choice === 'loosened'
        ? ` (looser than the default ${formatRate(bar.defaultErrorRate)}, which this traffic cannot show within ${forecast.maxDurationMinutes} minutes${lull ? `; ${lull}` : ''})`
        : bar.choice === 'unreachable'
          ? unreachableClause(forecast)
          : lull
            ? ` (${lull})`
            : '';
  const queue = forecast.queuePromotionBar ? queueGuaranteeClause(forecast.queuePromotionBar) : '';
  return `Before promoting, this canary shows with ${Number(((1 - alpha) * 100).toPrecision(4))}% confidence that the candidate fails less than ${formatRate(bar.errorRate)} of requests (stable: ${formatRate(forecast.stableErrorRate)}); ${harm}${why}${queue}.`;
}

/**
 * The loosest bar, which even a slow day's traffic may not show in the budget: how many candidates as
 * good as stable the typical traffic brings under it, or that none is likely to be.
 */
function unreachableClause(forecast: Forecast): string {
  const share = Math.round(forecast.promotedWithinBudget * 100);
  return share >= 5
    ? ` — the loosest bar it states; at this traffic about ${share}% of candidates as good as stable show it within ${forecast.maxDurationMinutes} minutes`
    : ` — but at this traffic no candidate is likely to show it within ${forecast.maxDurationMinutes} minutes`;
}

function summarySentence(forecast: Forecast): string {
  const traffic = `At ${perMinute(forecast.requestsPerMinute)} and ${formatRate(forecast.stableErrorRate)} errors`;
  const worst = forecast.regressions[forecast.regressions.length - 1];
  const mildest = forecast.regressions[0];
  const under = (r: Regression) => `a ${r.label} regression (${formatRate(r.errorRate)}) is under that bar and may be promoted`;
  const regression = worst
    ? worst.minutesToRollback === null
      ? under(worst)
      : (mildest && mildest !== worst && mildest.minutesToRollback === null ? `${under(mildest)}; ` : '') +
        (worst.minutesToRollback >= forecast.maxDurationMinutes
          ? `a ${worst.label} regression is rolled back when the ${forecast.maxDurationMinutes}-minute budget ends`
          : `a ${worst.label} regression is rolled back in about ${formatMinutes(worst.minutesToRollback)}`)
    : '';
  if (forecast.minutesToPromote === null) {
    return `${traffic}, this canary is unlikely to show any useful bar within its ${forecast.maxDurationMinutes}-minute budget: expect it to roll back as inconclusive${regression ? `; ${regression}` : ''}${latencyClause(forecast)}.`;
  }
  // Said whenever the plan cannot fit 95% of healthy promotions in the budget, so nobody learns it from a rollback.
  const share = forecast.promotedWithinBudget < 0.95 ? ` (about ${Math.round(forecast.promotedWithinBudget * 100)}% of candidates as good as stable can show it within the ${forecast.maxDurationMinutes}-minute budget; the rest roll back as inconclusive)` : '';
  const queueBar = forecast.queuePromotionBar?.failureRate;
  const messages = queueBar === undefined || queueBar === null ? '' : ` and its share of failed messages below ${formatRate(queueBar)}`;
  return `${traffic}, this canary promotes in about ${formatMinutes(forecast.minutesToPromote)} if the candidate's error rate is shown below ${formatRate(forecast.promotionBar.errorRate)}${messages}${share}${regression ? `; ${regression}` : ''}${latencyClause(forecast)}.`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
