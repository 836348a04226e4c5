/**
 * Coalmine itself: the real judge (`assess`) and the real `decide()`, looking every
 * `evaluationMinutes`, exactly as the Evaluate step does — without the state machine around them.
 */
import { decide } from '../../core/decide.ts';
import { assess } from '../../core/judge/index.ts';
import type { JudgeMemory } from '../../core/judge/types.ts';
import type { MinuteObservation } from '../../core/ports.ts';
import { StepWalker, type ObservedMinute, type Policy, type PolicyAction, type PolicyContext } from '../policy.ts';

/** Minutes as the metrics port labels them (ISO start times): the queue checks tell consecutive minutes apart by them. */
const FIRST_SHIFT = Date.UTC(2026, 0, 5, 9, 0);
const minuteTime = (minute: number): string => new Date(FIRST_SHIFT + minute * 60_000).toISOString();

export const coalminePolicy: Policy = {
  name: 'coalmine',
  summary: "Coalmine's anytime-valid judge and decide(), on the scenario's strategy or Coalmine's default",
  start(context: PolicyContext) {
    const steps = new StepWalker(context.strategy);
    let memory: JudgeMemory | undefined;
    let pending: MinuteObservation[] = [];
    return {
      weight: () => steps.weight,
      observe(minute: ObservedMinute): PolicyAction {
        steps.tick();
        pending.push({ minute: minuteTime(minute.minute), stable: minute.stable, candidate: minute.candidate, ...(minute.queue ? { queue: minute.queue } : {}) });
        if (pending.length < context.settings.evaluationMinutes) return 'continue';
        const assessment = assess({
          memory,
          window: { minutes: pending, failures: [] },
          baseline: context.baseline,
          context: {
            trigger: context.scenario.trigger,
            stepIndex: steps.stepIndex,
            stepCount: context.strategy.steps.length,
            weight: steps.weight,
            isFinalStep: steps.isFinalStep,
            minutesInStep: steps.minutesInStep,
            ...(context.queue ? { queue: context.queue } : {}),
          },
          settings: context.settings,
        });
        memory = assessment.memory;
        pending = [];
        const { decision, rollbackKind } = decide({
          assessment,
          minutesInStep: steps.minutesInStep,
          intervalMinutes: context.strategy.intervalMinutes,
          isFinalStep: steps.isFinalStep,
          maxExtensionMinutes: context.settings.maxExtensionMinutes,
        });
        if (decision === 'advance') steps.advance();
        if (decision === 'rollback') return rollbackKind === 'inconclusive' ? 'rollback-inconclusive' : 'rollback';
        return decision === 'promote' ? 'promote' : 'continue';
      },
    };
  },
};
