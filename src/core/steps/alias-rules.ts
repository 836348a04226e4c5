/**
 * The rules about the alias that every step keeps: which alias a function opts in with, who owns it
 * (the mark Plan writes into its description), and whether its routing is the canary's own.
 */
import { AliasChangedError } from '../errors.ts';
import { isOwner, readOwnerMark } from '../ownership.ts';
import type { AliasChange, AliasState, TrafficRouter } from '../ports.ts';
import type { CanaryState, ExecutionRef } from '../state.ts';

/** True when the alias carries `execution`'s mark (by the execution's ARN, never its name alone). */
export function isOwnedBy(alias: AliasState, execution: ExecutionRef): boolean {
  return isOwner(readOwnerMark(alias.description), execution);
}

/**
 * The alias must still carry this execution's mark, and the revision it last wrote or one that
 * changed only the description (an operator's control in the mark: `coalmine pause`) and left the
 * routing as this canary left it.
 */
export function assertOwned(alias: AliasState, state: CanaryState, execution: ExecutionRef): AliasState {
  const mark = readOwnerMark(alias.description);
  const { plan: p, progress } = state;
  const where = `${p.functionName}:${p.alias}`;
  if (!isOwner(mark, execution)) {
    throw new AliasChangedError(`alias ${where} is no longer marked as this canary's (now version ${alias.version}${routingNote(alias)}); someone else changed it, and Coalmine leaves it as it is`);
  }
  if (alias.revisionId !== progress.revisionId && !sameRouting(alias, { version: p.stableVersion, weights: progress.weight > 0 ? { [p.candidateVersion]: progress.weight } : {} })) {
    throw new AliasChangedError(`alias ${where} was changed by someone else (now version ${alias.version}${routingNote(alias)}); Coalmine stops and leaves their change`);
  }
  return alias;
}

/**
 * Updates the alias this execution owns. An operator's control written between the read and the
 * write moves the revision on: read again and retry, as long as only the description changed.
 */
export async function updateOwned(router: TrafficRouter, alias: AliasState, state: CanaryState, execution: ExecutionRef, change: AliasChange): Promise<AliasState> {
  const { functionName, alias: name } = state.plan;
  for (let attempt = 1; ; attempt++) {
    try {
      return await router.updateAlias(functionName, name, change, assertOwned(alias, state, execution).revisionId);
    } catch (error) {
      if (!(error instanceof AliasChangedError) || attempt >= 3) throw error;
      alias = await router.getAlias(functionName, name);
    }
  }
}

/**
 * True when the alias is routed as this canary itself routes it: on the stable version, with weight
 * only on the candidate (at one of `steps`, when the plan's steps are known). Anything else was done
 * by someone else.
 */
export function isCanaryRouting(alias: AliasState, mark: { stable: string; candidate: string }, steps?: readonly number[]): boolean {
  const weighted = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
  return (
    alias.version === mark.stable &&
    weighted.every(([version, weight]) => version === mark.candidate && (steps === undefined || steps.some((step) => Math.abs(step - weight) < 1e-6)))
  );
}

export function sameRouting(alias: AliasState, target: { version: string; weights: Record<string, number> }): boolean {
  const have = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
  const want = Object.entries(target.weights).filter(([, weight]) => weight > 0);
  return alias.version === target.version && have.length === want.length && want.every(([version, weight]) => Math.abs((alias.weights[version] ?? 0) - weight) < 1e-6);
}

export function routingNote(alias: AliasState): string {
  const entries = Object.entries(alias.weights);
  return entries.length ? ` with ${entries.map(([version, weight]) => `${weight}% on ${version}`).join(', ')}` : ', no routing';
}

export function describeRouting(alias: AliasState): string {
  return `version ${alias.version}${routingNote(alias)}`;
}
