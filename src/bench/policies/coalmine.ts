/**
 * Coalmine itself: the real plan (`planWithinLimits`, as Plan makes it: weights, bar and exposure
 * from the pre-shift traffic, the schedule fitted to the execution's limits or refused), then the
 * same look as the Evaluate step (the real judge, `assess`, then `decide()`), every
 * `evaluationMinutes` — without the state machine around it. Where Plan would refuse the canary,
 * `start` throws the same error, and the benchmark reports the seed as refused.
 */
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
  summary: "Coalmine's plan, anytime-valid judge and decide(), on the scenario's strategy or the weights its plan picks for the traffic",
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
    let memory: JudgeMemory | undefined;
    let pending: MinuteObservation[] = [];
    let minutesSinceFirstShift = 0;
    return {
      forecast: { minutesToPromote: planning.forecast.minutesToPromote, promotionBar: planning.forecast.promotionBar.errorRate },
      weight: () => steps.weight,
      observe(minute: ObservedMinute): PolicyAction {
        steps.tick();
        minutesSinceFirstShift++;
        // As Evaluate does (src/core/cold-start-query.ts), a step's first minute counts no cold starts: the candidate scaling up.
        const scalingUp = steps.minutesInStep <= 1;
        pending.push({ minute: minuteTime(minute.minute), stable: scalingUp ? withoutColdStarts(minute.stable) : minute.stable, candidate: scalingUp ? withoutColdStarts(minute.candidate) : minute.candidate, ...(minute.queue ? { queue: minute.queue } : {}) });
        if (pending.length < settings.evaluationMinutes) return 'continue';
        const { assessment, decision, rollbackKind } = look(assess, {
          memory,
          window: { minutes: pending, failures: [] },
          baseline: context.baseline,
          settings,
          trigger: context.scenario.trigger,
          strategy,
          stepIndex: steps.stepIndex,
          weight: steps.weight,
          minutesInStep: steps.minutesInStep,
          minutesSinceFirstShift,
          promotion: planning.promotion,
          queue: context.queue,
          memoryMB: context.memoryMB,
          coldStarts: context.scenario.trigger === 'api',
          concurrency: context.concurrency,
        });
        memory = assessment.memory;
        pending = [];
        if (decision === 'advance') steps.advance();
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
