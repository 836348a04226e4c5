/**
 * Coalmine itself: the same look as the Evaluate step (the real judge, `assess`, then `decide()`),
 * every `evaluationMinutes` — without the state machine around it.
 */
import { assess, type JudgeMemory } from '../../core/judge/index.ts';
import { look } from '../../core/look.ts';
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
        const { assessment, decision, rollbackKind } = look(assess, {
          memory,
          window: { minutes: pending, failures: [] },
          baseline: context.baseline,
          settings: context.settings,
          trigger: context.scenario.trigger,
          strategy: context.strategy,
          stepIndex: steps.stepIndex,
          weight: steps.weight,
          minutesInStep: steps.minutesInStep,
          queue: context.queue,
          memoryMB: context.memoryMB,
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
