/**
 * The plan as Plan makes it and the benchmark follows it (src/core/steps/plan.ts,
 * src/bench/policies/coalmine.ts): the strategy, bar and exposure from the pre-shift traffic
 * (src/core/forecast.ts), within the execution's limits (src/core/limits.ts), with an SQS queue's
 * default steps sized by its retry cycle (src/core/sqs.ts). One function, so that the benchmark
 * cannot run a schedule Plan would not, nor a canary Plan would refuse.
 *
 * @example
 * const { planning, analysis, warnings } = planWithinLimits({ traffic, named: request.strategy, settings: request.analysis, queue: queue?.plan, queueTest });
 */
import { InsufficientTrafficError } from './errors.ts';
import { errorGuardrail, planCanary, type CanaryPlanning, type TrafficEstimate } from './forecast.ts';
import type { QueueTestInput } from './queue-forecast.ts';
import { formatRate } from './judge/check.ts';
import type { AnalysisSettings } from './judge/settings.ts';
import { checkSchedule, checkWeights, fitSchedule, type ScheduleExtras } from './limits.ts';
import { defaultEventStrategy, eventStepMinutes, redriveDelaySeconds, thinStepWarnings } from './sqs.ts';
import type { PlanQueue } from './state.ts';
import type { Strategy } from './strategy.ts';

export interface LimitedPlanningInput {
  traffic: TrafficEstimate;
  /** The strategy the request or the function's owner named: refused, never changed, when it does not fit the limits. */
  named: Strategy | undefined;
  settings: AnalysisSettings;
  /** An SQS-triggered canary's queue: its retry cycle sizes Coalmine's default steps, and a rollback waits for it before redriving. */
  queue?: Pick<PlanQueue, 'visibilityTimeoutSeconds' | 'batchingWindowSeconds' | 'queueName'>;
  /** The queue before the shift, for the forecast to state the bar the queue's promotion test holds the final step to. */
  queueTest?: QueueTestInput;
  /** What the request adds after promotion (src/core/limits.ts). */
  after?: ScheduleExtras;
}

export interface LimitedPlanning {
  planning: CanaryPlanning;
  /** The request's analysis, with the budget the plan chose and whatever fitting the schedule changed. */
  analysis: AnalysisSettings;
  /** For the plan output: what fitting changed, and steps too thin for the queue's traffic. */
  warnings: string[];
}

/**
 * The plan as Plan makes it and the benchmark follows it: planCanary on the named strategy, else on
 * Coalmine's own (an SQS queue's default event strategy, or weights for the traffic); then the
 * limits. A named schedule that could outlast the execution or its history is refused
 * (PlanLimitError), Coalmine's own is fitted to them (fitSchedule) and planned again, with a warning
 * for each change. Throws InsufficientTrafficError when `lowTraffic: "refuse"` and the traffic cannot
 * show the default bar, PlanLimitError for weights Lambda would round away.
 */
export function planWithinLimits(input: LimitedPlanningInput): LimitedPlanning {
  const { traffic, named, queue, queueTest, after = {} } = input;
  const warnings: string[] = [];
  const guardrail = errorGuardrail(input.settings.maxErrorRate, traffic);
  if (guardrail > input.settings.maxErrorRate) {
    warnings.push(
      `analysis.maxErrorRate: stable already fails ${formatRate(traffic.errorRate)} of requests, so the error guardrail rolls back a candidate shown above ${formatRate(guardrail)} ` +
        `(a gross regression of stable's rate), not ${formatRate(input.settings.maxErrorRate)}`,
    );
  }
  const settings = { ...input.settings, maxErrorRate: guardrail };
  const defaultStrategy = queue ? defaultEventStrategy(queue) : undefined;
  const extraMinutes = queue ? Math.ceil(redriveDelaySeconds(queue) / 60) : 0;
  let planning = planCanary({ traffic, strategy: named, ...(defaultStrategy ? { defaultStrategy } : {}), ...(queueTest ? { queueTest } : {}), settings });
  if (planning.refusal) throw new InsufficientTrafficError(planning.refusal);
  checkWeights(planning.strategy);
  let analysis = settings;
  if (named) {
    checkSchedule(named, settings, extraMinutes, after);
  } else {
    const fitted = fitSchedule(planning.strategy, settings, extraMinutes, after, queue ? eventStepMinutes(queue, 1) : undefined);
    if (fitted.warnings.length) {
      analysis = fitted.analysis;
      planning = planCanary({ traffic, strategy: undefined, defaultStrategy: fitted.strategy, ...(queueTest ? { queueTest } : {}), settings: analysis });
      if (planning.refusal) throw new InsufficientTrafficError(planning.refusal);
      warnings.push(...fitted.warnings);
    }
  }
  if (queue) warnings.push(...thinStepWarnings(planning.strategy, traffic.requestsPerMinute, queue.queueName));
  return { planning, analysis: { ...analysis, maxDurationMinutes: planning.forecast.maxDurationMinutes }, warnings };
}
