/**
 * One canary per alias. Plan marks the alias as taken by its execution, in the alias description,
 * together with the stable version and the description it replaced — so that even a cleanup that
 * knows nothing but the execution's name can put the alias back and let go of it.
 *
 * @example
 * ownerMark({ owner: 'checkout-live-13', stable: '12', candidate: '13', original: 'prod' });
 * // 'coalmine-canary owner=checkout-live-13 stable=12 candidate=13 | prod'
 */
const PREFIX = 'coalmine-canary';
/** Lambda alias descriptions hold at most 256 characters. */
export const MAX_DESCRIPTION = 256;
const MARK = /^coalmine-canary owner=(\S+) stable=(\d+) candidate=(\d+) \| ([\s\S]*)$/;

export interface OwnerMark {
  owner: string;
  stable: string;
  candidate: string;
  /** The description before Coalmine took the alias (cut to fit when it was long). */
  original: string;
}

export function ownerMark(mark: OwnerMark): string {
  const head = `${PREFIX} owner=${mark.owner} stable=${mark.stable} candidate=${mark.candidate} | `;
  return head + mark.original.slice(0, Math.max(0, MAX_DESCRIPTION - head.length));
}

/** The mark in an alias description, or undefined when nobody owns the alias. */
export function readOwnerMark(description: string): OwnerMark | undefined {
  const match = MARK.exec(description);
  if (!match) return undefined;
  return { owner: match[1]!, stable: match[2]!, candidate: match[3]!, original: match[4]! };
}
