/** Promote: the whole alias to the candidate, the owner's mark taken off. */
import { readOwnerMark } from '../ownership.ts';
import type { Ports } from '../ports.ts';
import type { CanaryState } from '../state.ts';
import { assertOwned, sameRouting } from './alias-rules.ts';
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
    const after = done ? alias : await router.updateAlias(p.functionName, p.alias, target, assertOwned(alias, state, execution).revisionId);
    const reason = p.strategy.steps.length === 0
      ? `promoted all at once (${p.strategy.name})`
      : `promoted after ${p.strategy.steps.length} step${p.strategy.steps.length === 1 ? '' : 's'}: ${state.verdict?.reasons[0] ?? 'the judge found no harm'}`;
    return finish(state, { result: 'promoted', rollbackKind: null, reason, alias: after }, clock.now());
  };
}
