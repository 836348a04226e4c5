/** Shift: moves the candidate to the next step's weight, and says when the first look at it is due. */
import { InvalidRequestError } from '../errors.ts';
import type { Ports } from '../ports.ts';
import type { CanaryState, Plan } from '../state.ts';
import { firstMinuteOfStep } from '../clock.ts';
import { addSeconds, iso } from '../time.ts';
import { isOwnedBy, sameRouting, updateOwned } from './alias-rules.ts';
import { parsePayload, statePayload } from './payload.ts';

export function createShift({ router, clock }: Pick<Ports, 'router' | 'clock'>) {
  return async function shift(payload: unknown): Promise<CanaryState> {
    const { state, execution } = parsePayload(statePayload, payload, 'Shift');
    const { plan: p, progress } = state;
    const stepIndex = progress.stepIndex + 1;
    const weight = p.strategy.steps[stepIndex];
    if (weight === undefined) throw new InvalidRequestError(`progress.stepIndex: no step ${stepIndex + 1} in a ${p.strategy.steps.length}-step strategy`);
    const target = { version: p.stableVersion, weights: { [p.candidateVersion]: weight } };

    const alias = await router.getAlias(p.functionName, p.alias);
    const alreadyThere = isOwnedBy(alias, execution) && sameRouting(alias, target);
    const updated = alreadyThere ? alias : await updateOwned(router, alias, state, execution, target);

    const now = clock.now();
    const stepStart = firstMinuteOfStep(now);
    return {
      ...withoutVerdict(state),
      status: `Step ${stepIndex + 1} of ${p.strategy.steps.length}: ${weight}% of ${p.functionName}:${p.alias} on version ${p.candidateVersion}`,
      progress: {
        ...progress,
        stepIndex,
        weight,
        revisionId: updated.revisionId,
        stepStartedAt: iso(stepStart),
        firstShiftAt: progress.firstShiftAt ?? iso(stepStart),
        nextEvaluationAt: iso(nextLook(stepStart, p)),
        decision: 'hold',
      },
    };
  };
}

function withoutVerdict(state: CanaryState): CanaryState {
  const { verdict: _verdict, ...rest } = state;
  return rest;
}

/** The first look at a step: one evaluation period after the step starts, once that minute has settled. */
function nextLook(stepStart: Date, plan: Plan): Date {
  return addSeconds(stepStart, 60 * plan.analysis.evaluationMinutes + plan.analysis.settleSeconds);
}
