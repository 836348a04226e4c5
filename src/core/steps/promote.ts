/** Promote: the whole alias to the candidate, the owner's mark taken off. */
import { readOwnerMark } from '../ownership.ts';
import type { Ports } from '../ports.ts';
import type { CanaryState } from '../state.ts';
import { sameRouting, updateOwned } from './alias-rules.ts';
import { startBake } from './after-promotion.ts';
import { finish } from './outcome.ts';
import { parsePayload, statePayload } from './payload.ts';

export function createPromote({ router, clock }: Pick<Ports, 'router' | 'clock'>) {
  return async function promote(payload: unknown): Promise<CanaryState> {
    const { state, execution } = parsePayload(statePayload, payload, 'Promote');
    const { plan: p } = state;
    const target = { version: p.candidateVersion, weights: {}, description: p.originalDescription };
    const alias = await router.getAlias(p.functionName, p.alias);
    // A retry after a promotion whose answer was lost finds the alias already promoted and let go.
    const done = !readOwnerMark(alias.description) && sameRouting(alias, target) && alias.description === p.originalDescription;
    const after = done ? alias : await updateOwned(router, alias, state, execution, target);
    // With a bake after promotion, the canary goes on judging the promoted version before it ends.
    if (p.postPromotionMinutes && !state.progress.bake) return startBake(state, after, clock.now());
    return finish(state, { result: 'promoted', rollbackKind: null, reason: promotionReason(state), alias: after }, clock.now());
  };
}

/** Why it was promoted: the judge's reason, and who approved it or asked for it early. */
function promotionReason({ plan: p, progress, verdict, approval }: CanaryState): string {
  const steps = p.strategy.steps.length;
  if (steps === 0) return `promoted all at once (${p.strategy.name})`;
  // A wait for approval put its own line first; the judge's reason follows it.
  const reasons = verdict?.decision === 'await-approval' ? verdict.reasons.slice(1) : (verdict?.reasons ?? []);
  const judged = reasons[0] ?? 'the judge found no harm';
  if (approval) return `promoted after ${steps} step${steps === 1 ? '' : 's'}, approved by ${approval.by}${approval.comment ? ` ("${approval.comment}")` : ''}: ${judged}`;
  if (progress.stepIndex < steps - 1) return `promoted at step ${progress.stepIndex + 1} of ${steps}: ${judged}`;
  return `promoted after ${steps} step${steps === 1 ? '' : 's'}: ${judged}`;
}
