/**
 * One look at a canary step: the judge's input from where the canary stands, the judge's
 * assessment, then decide(). Evaluate takes it on the execution state; the bench takes it on
 * simulated minutes. Both run this same code, so what the bench measures is what Evaluate does.
 *
 * @example
 * const { assessment, decision } = look(assess, { memory, window, baseline, settings, trigger: 'api', strategy, stepIndex: 0, weight: 10, minutesInStep: 5 });
 */
import { decide, type DecideResult } from './decide.ts';
import { DEFAULT_BUDGET_MINUTES } from './judge/settings.ts';
import type { AnalysisSettings, Assessment, Judge, JudgeMemory, PlannedPromotion, QueueJudgeSetup } from './judge/index.ts';
import type { Baseline, MetricsWindow } from './ports.ts';
import type { PlanQueue } from './state.ts';
import type { Strategy } from './strategy.ts';

export interface LookInput {
  /** What the judge returned last time; undefined on the first look. */
  memory: JudgeMemory | undefined;
  /** The minutes that settled since the last look. */
  window: MetricsWindow;
  baseline: Baseline;
  settings: AnalysisSettings;
  trigger: 'api' | 'sqs';
  strategy: Pick<Strategy, 'steps' | 'intervalMinutes'>;
  /** 0-based index of the current step, and the candidate's weight there in percent. */
  stepIndex: number;
  weight: number;
  /** Settled minutes observed at this step's weight so far (including this window). */
  minutesInStep: number;
  /** SQS-triggered canaries: the queue as the judge needs it (`queueJudgeSetup(plan.queue)`). */
  queue?: QueueJudgeSetup | undefined;
  /** Each version's memory size in MB, when known (the cost of a request). */
  memoryMB?: { stable: number; candidate: number } | undefined;
  /** The candidate's concurrency limit at 100%, when Plan read it. */
  concurrency?: { limit: number; source: 'reserved' | 'account' } | undefined;
  /** True when each version's cold starts are read (API functions whose REPORT lines Coalmine can query). */
  coldStarts?: boolean | undefined;
  /** Minutes since the first shift, as the clock runs (not only those judged): the budget (`settings.maxDurationMinutes`) counts them. */
  minutesSinceFirstShift?: number | undefined;
  /** The promotion test and exposure Plan fixed (`plan.promotion`). */
  promotion?: PlannedPromotion | undefined;
}

export interface Look extends DecideResult {
  assessment: Assessment;
}

export function look(judge: Judge, input: LookInput): Look {
  const { memory, window, baseline, settings, trigger, strategy, stepIndex, weight, minutesInStep, queue, memoryMB, coldStarts, concurrency, minutesSinceFirstShift, promotion } = input;
  const stepCount = strategy.steps.length;
  const isFinalStep = stepIndex >= stepCount - 1;
  const budget = settings.maxDurationMinutes ?? DEFAULT_BUDGET_MINUTES;
  const budgetSpent = minutesSinceFirstShift !== undefined && minutesSinceFirstShift >= budget;
  const noRoomToHold = !isFinalStep && minutesSinceFirstShift !== undefined && promotion?.finalStepMinutes !== undefined && minutesToFinish(input, promotion.finalStepMinutes) > budget;
  const assessment = judge({
    memory,
    window,
    baseline,
    context: { trigger, stepIndex, stepCount, weight, isFinalStep, minutesInStep, intervalMinutes: strategy.intervalMinutes, ...(queue ? { queue } : {}), memoryMB, ...(coldStarts ? { coldStarts } : {}), ...(concurrency ? { concurrency } : {}), ...(promotion ? { promotion } : {}), ...(budgetSpent ? { budgetSpent } : {}), ...(noRoomToHold ? { noRoomToHold } : {}) },
    settings,
  });
  const decided = decide({
    assessment,
    minutesInStep,
    intervalMinutes: strategy.intervalMinutes,
    isFinalStep,
    maxExtensionMinutes: settings.maxExtensionMinutes,
    ...(minutesSinceFirstShift === undefined ? {} : { minutesSinceFirstShift, maxDurationMinutes: budget }),
  });
  return { assessment, ...decided };
}

/**
 * The minute by which the canary would be decided if no step were held from here on: the rest of
 * this step, each later step on the clock (its judged minutes and the settling time), and the final
 * weight's planned minutes, decided the settling time after its last. A lean may hold a step before
 * the last only while this is within the budget: the plan fitted its promotions in the budget with
 * the steps lasting as the schedule says, so a lean that holds longer turns a healthy candidate's
 * promotion into an inconclusive rollback, while a regression still meets the paired test at the
 * next weight, and the promotion test and the final share before promotion.
 */
function minutesToFinish(input: LookInput, finalStepMinutes: number): number {
  const { strategy, stepIndex, minutesInStep, settings } = input;
  const settle = Math.ceil(settings.settleSeconds / 60);
  const laterSteps = Math.max(0, strategy.steps.length - 2 - stepIndex);
  return (input.minutesSinceFirstShift ?? 0) + Math.max(0, strategy.intervalMinutes - minutesInStep) + laterSteps * (strategy.intervalMinutes + settle) + finalStepMinutes + settle;
}

/** The plan's queue as the judge needs it (the judge's `context.queue`). */
export function queueJudgeSetup(queue: PlanQueue): QueueJudgeSetup {
  return {
    batchSize: queue.batchSize,
    reportBatchItemFailures: queue.reportBatchItemFailures,
    visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
    batchingWindowSeconds: queue.batchingWindowSeconds,
    ...(queue.dlq ? { maxReceiveCount: queue.dlq.maxReceiveCount } : {}),
    ...(queue.metricsEnabled ? { metricsEnabled: true } : {}),
  };
}
