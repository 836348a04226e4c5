/**
 * Restore: puts an alias that was promoted back on its stable version, only if it is still exactly
 * as the promotion left it (fully on the candidate, no routing); anything else is someone else's
 * change, and it is left as it is. The change is made with the alias' RevisionId, so a change made
 * between the read and the write is never overwritten either.
 *
 * Two callers: a release that rolls back a target it promoted (the payload is the target), and a
 * canary whose judging after promotion found a regression (the payload is the canary's state; the
 * alias must also still carry the revision Promote wrote, and the state ends promoted, then restored).
 *
 * @example
 * await createRestore({ router }).restore({ region: 'eu-west-3', functionName: 'checkout', alias: 'live', stableVersion: '12', candidateVersion: '13' });
 * // { ..., restored: true, reason: 'put back on version 12' }
 */
import * as z from 'zod/mini';
import '../zod-messages.ts';
import { AliasChangedError } from '../errors.ts';
import type { AliasState, Ports } from '../ports.ts';
import { REGION_NAME } from '../regions.ts';
import type { CanaryState } from '../state.ts';
import { finish } from './outcome.ts';
import { parsePayload, statePayload } from './payload.ts';

export const restorePayload = z.looseObject({
  // Its clients are built for this region (src/core/regions.ts): a malformed one is refused, never read as Coalmine's own.
  region: z.string().check(z.regex(REGION_NAME, 'must be a region name, e.g. eu-west-1')),
  functionName: z.string().check(z.minLength(1)),
  alias: z.string().check(z.minLength(1)),
  stableVersion: z.string().check(z.minLength(1)),
  candidateVersion: z.string().check(z.minLength(1)),
});

export interface Restored {
  region: string;
  functionName: string;
  alias: string;
  restored: boolean;
  /** One line: what was done, or why the alias was left as it is. */
  reason: string;
  version: string;
}

interface PutBack {
  restored: boolean;
  reason: string;
  alias: AliasState;
}

/** Stable back on an alias that is exactly as the promotion left it (and at `revisionId`, when given). */
async function putBack(router: Ports['router'], target: { functionName: string; alias: string; stableVersion: string; candidateVersion: string; revisionId?: string }, who: string): Promise<PutBack> {
  const { functionName, alias: aliasName, stableVersion, candidateVersion, revisionId } = target;
  const alias = await router.getAlias(functionName, aliasName);
  const unsplit = Object.keys(alias.weights).length === 0;
  // A retry after a restore whose answer was lost finds the alias on stable already.
  if (unsplit && alias.version === stableVersion) return { restored: true, reason: `on version ${stableVersion}`, alias };
  if (!unsplit || alias.version !== candidateVersion || (revisionId !== undefined && alias.revisionId !== revisionId)) {
    return { restored: false, reason: `left as it is: someone changed it since the ${who} promoted version ${candidateVersion} (it is on version ${alias.version}${unsplit ? '' : ' with routing'})`, alias };
  }
  try {
    const after = await router.updateAlias(functionName, aliasName, { version: stableVersion, weights: {} }, alias.revisionId);
    return { restored: true, reason: `put back on version ${stableVersion}`, alias: after };
  } catch (error) {
    if (!(error instanceof AliasChangedError)) throw error;
    return { restored: false, reason: `left as it is: someone changed it while the ${who} was putting it back`, alias };
  }
}

/** A release rolls back a target it promoted. */
export function createRestore({ router }: Pick<Ports, 'router'>) {
  return async function restore(payload: unknown): Promise<Restored> {
    const target = parsePayload(restorePayload, payload, 'Restore');
    const { region, functionName, alias } = target;
    const { restored, reason, alias: after } = await putBack(router, target, 'release');
    return { region, functionName, alias, restored, reason, version: after.version };
  };
}

/** A canary's judging after promotion found a regression: stable back, and the state ends promoted, then restored. */
export function createRestoreAfterPromotion({ router, clock }: Pick<Ports, 'router' | 'clock'>) {
  return async function restoreAfterPromotion(payload: unknown): Promise<CanaryState> {
    const { state } = parsePayload(statePayload, payload, 'Restore');
    const { plan: p, progress } = state;
    const { restored, reason, alias } = await putBack(router, { ...p, revisionId: progress.revisionId }, 'canary');
    if (!restored) throw new AliasChangedError(`alias ${p.functionName}:${p.alias} ${reason}; the regression after promotion was not undone by Coalmine`);
    const promotedAt = progress.bake?.promotedAt;
    const why = state.verdict?.reasons[0] ?? 'a regression after promotion';
    const ended = finish(state, { result: 'rolled-back', rollbackKind: state.verdict?.rollbackKind ?? 'regression', reason: `promoted${promotedAt ? ` at ${promotedAt}` : ''}, then restored: ${why}`, alias, restoredAfterPromotion: true }, clock.now());
    return { ...ended, outcome: { ...ended.outcome!, ...(promotedAt ? { promotedAt } : {}), restoredAfterPromotion: true } };
  };
}

/** The Restore function's one entry: a canary's state (it carries `state`) or a release's target. */
export function createRestoreStep(ports: Pick<Ports, 'router' | 'clock'>) {
  const forRelease = createRestore(ports);
  const afterPromotion = createRestoreAfterPromotion(ports);
  return (payload: unknown): Promise<Restored | CanaryState> => (payload !== null && typeof payload === 'object' && 'state' in payload ? afterPromotion(payload) : forRelease(payload));
}
