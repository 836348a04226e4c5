/**
 * Coalmine itself: the real plan (`planWithinLimits`, as Plan makes it: weights, bar and exposure
 * from the pre-shift traffic, the schedule fitted to the execution's limits or refused), then the
 * same look as the Evaluate step (the real judge, `assess`, then `decide()`) on the state machine's
 * clock — without the state machine around it. Where Plan would refuse the canary, `start` throws
 * the same error, and the benchmark reports the seed as refused.
 *
 * The clock is the state machine's (src/core/clock.ts): a step counts from its shift's minute (or
 * the next); its first look comes `evaluationMinutes` and the settling time later, then one every
 * `evaluationMinutes`; each look judges only the minutes that have settled; a step before the last
 * ends with its interval on the clock, the final one once its interval is judged. So a decision comes
 * the settling time after the last minute it counts, as on AWS and in `run --local`.
 */
import { judgedIntervalMinutes, SHIFT_GRACE_SECONDS } from '../../core/clock.ts';
import { estimateTraffic } from '../../core/forecast.ts';
import { assess, type JudgeMemory } from '../../core/judge/index.ts';
import { look } from '../../core/look.ts';
import { planWithinLimits } from '../../core/planning.ts';
import type { MinuteObservation } from '../../core/ports.ts';
import { StepWalker, type ObservedMinute, type Policy, type PolicyAction, type PolicyContext } from '../policy.ts';

/** Minutes as the metrics port labels them (ISO start times): the queue checks tell consecutive minutes apart by them. */
const FIRST_SHIFT = Date.UTC(2026, 0, 5, 9, 0);
const minuteTime = (minute: number): string => new Date(FIRST_SHIFT + minute * 60_000).toISOString();

export const coalminePolicy: Policy = {
  name: 'coalmine',
  summary: "Coalmine's plan, anytime-valid judge and decide(), on the scenario's strategy or the weights its plan picks for the traffic, at the state machine's pace",
  start(context: PolicyContext) {
    const { planning, analysis: settings } = planWithinLimits({
      traffic: estimateTraffic(context.baseline, context.history, context.baselineStart),
      named: context.namedStrategy,
      settings: context.settings,
      // The queue's name only words the plan's warnings, which the benchmark does not read.
      ...(context.queue ? { queue: { ...context.queue, queueName: context.scenario.name } } : {}),
    });
    // Every look holds to the analysis the plan chose (its budget, and a fitted schedule's looks and extension), as the plan's `analysis` carries it on AWS.
    const strategy = planning.strategy;
    const steps = new StepWalker(strategy);
    // Looks fall on the minute grid, the settling time after the last minute they judge (src/core/clock.ts).
    const settleMinutes = settings.settleSeconds / 60;
    let memory: JudgeMemory | undefined;
    /** Minutes served and not yet judged, oldest first. */
    let unjudged: Array<{ index: number; observation: MinuteObservation }> = [];
    /** The first minute the current step counts (the first step's is the first shift's). */
    let stepStart = 0;
    /** The next look judges the minutes before this one. */
    let nextJudgedEnd = settings.evaluationMinutes;
    return {
      forecast: { minutesToPromote: planning.forecast.minutesToPromote, promotionBar: planning.forecast.promotionBar.errorRate },
      weight: () => steps.weight,
      observe(minute: ObservedMinute): PolicyAction {
        // As Evaluate does (src/core/cold-start-query.ts), a step's first minute, and the shift's, count no cold starts: the candidate scaling up.
        const scalingUp = minute.minute <= stepStart;
        unjudged.push({ index: minute.minute, observation: { minute: minuteTime(minute.minute), stable: scalingUp ? withoutColdStarts(minute.stable) : minute.stable, candidate: scalingUp ? withoutColdStarts(minute.candidate) : minute.candidate, ...(minute.queue ? { queue: minute.queue } : {}) } });
        // The look comes once its minutes have settled: by the end of this minute or not at all in it.
        const judgedEnd = nextJudgedEnd;
        const lookAt = judgedEnd + settleMinutes;
        if (lookAt > minute.minute + 1) return 'continue';
        const settled = unjudged.filter(({ index }) => index < judgedEnd).map(({ observation }) => observation);
        unjudged = unjudged.filter(({ index }) => index >= judgedEnd);
        const { assessment, decision, rollbackKind } = look(assess, {
          memory,
          window: { minutes: settled, failures: [] },
          baseline: context.baseline,
          settings,
          trigger: context.scenario.trigger,
          strategy: { steps: strategy.steps, intervalMinutes: judgedIntervalMinutes(strategy.intervalMinutes, settings, steps.isFinalStep) },
          stepIndex: steps.stepIndex,
          weight: steps.weight,
          minutesInStep: Math.max(0, judgedEnd - stepStart),
          minutesSinceFirstShift: Math.floor(lookAt),
          promotion: planning.promotion,
          queue: context.queue,
          memoryMB: context.memoryMB,
          coldStarts: context.scenario.trigger === 'api',
          concurrency: context.concurrency,
        });
        memory = assessment.memory;
        nextJudgedEnd = judgedEnd + settings.evaluationMinutes;
        if (decision === 'advance') {
          // The shift lands a moment after this look: the step counts from that minute when it landed in its first seconds, else from the next.
          steps.advance();
          stepStart = (lookAt - Math.floor(lookAt)) * 60 < SHIFT_GRACE_SECONDS ? Math.floor(lookAt) : Math.ceil(lookAt);
          nextJudgedEnd = stepStart + settings.evaluationMinutes;
        }
        if (decision === 'rollback') return rollbackKind === 'inconclusive' ? 'rollback-inconclusive' : 'rollback';
        return decision === 'promote' ? 'promote' : 'continue';
      },
    };
  },
};

/** A version's minute with its cold-start figures left out (never read as none). */
function withoutColdStarts<T extends { coldStarts?: number; initMs?: number }>(version: T): T {
  const { coldStarts: _coldStarts, initMs: _initMs, ...rest } = version;
  return rest as T;
}
