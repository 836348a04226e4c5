/**
 * Restore: a release rolls back a target it promoted. The alias goes back to the stable version only
 * if it is still exactly as the release left it (fully on the candidate, no routing); anything else
 * is someone else's change, and it is left as it is. The change is made with the alias' RevisionId,
 * so a change made between the read and the write is never overwritten either.
 *
 * @example
 * await createRestore({ router }).restore({ region: 'eu-west-3', functionName: 'checkout', alias: 'live', stableVersion: '12', candidateVersion: '13' });
 * // { ..., restored: true, reason: 'put back on version 12' }
 */
import * as z from 'zod/mini';
import '../zod-messages.ts';
import { AliasChangedError } from '../errors.ts';
import type { Ports } from '../ports.ts';
import { REGION_NAME } from '../regions.ts';
import { parsePayload } from './payload.ts';

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

export function createRestore({ router }: Pick<Ports, 'router'>) {
  return async function restore(payload: unknown): Promise<Restored> {
    const target = parsePayload(restorePayload, payload, 'Restore');
    const { region, functionName, alias: aliasName, stableVersion, candidateVersion } = target;
    const base = { region, functionName, alias: aliasName };
    const alias = await router.getAlias(functionName, aliasName);
    const unsplit = Object.keys(alias.weights).length === 0;
    // A retry after a restore whose answer was lost finds the alias on stable already.
    if (unsplit && alias.version === stableVersion) return { ...base, restored: true, reason: `on version ${stableVersion}`, version: stableVersion };
    if (!unsplit || alias.version !== candidateVersion) {
      return { ...base, restored: false, reason: `left as it is: someone changed it since the release promoted version ${candidateVersion} (it is on version ${alias.version}${unsplit ? '' : ' with routing'})`, version: alias.version };
    }
    try {
      const after = await router.updateAlias(functionName, aliasName, { version: stableVersion, weights: {} }, alias.revisionId);
      return { ...base, restored: true, reason: `put back on version ${stableVersion}`, version: after.version };
    } catch (error) {
      if (!(error instanceof AliasChangedError)) throw error;
      return { ...base, restored: false, reason: 'left as it is: someone changed it while the release was putting it back', version: alias.version };
    }
  };
}
