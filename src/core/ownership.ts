/**
 * One canary per alias. Plan marks the alias as taken by its execution, in the alias description,
 * with the stable and candidate versions and the whole description it replaced, so that a cleanup
 * that knows nothing but the execution can find the alias, put it back and let go of it.
 *
 * The owner is the execution's ARN, kept as a digest (`id`): an execution *name* is unique only
 * within one state machine, so a second stack running an execution of the same name must not pass
 * for the owner. The name follows when there is room, for people reading the description.
 *
 * Lambda keeps at most 256 characters of description. The original description is never cut: when
 * it does not fit beside the mark, Plan refuses the canary before it touches the alias (a mark that
 * lost the end of the description could only ever restore it cut).
 *
 * @example
 * ownerMark({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:coalmine:checkout-live-13', owner: 'checkout-live-13', stable: '12', candidate: '13', original: 'prod' });
 * // 'coalmine-canary id=5d1c0e6b8f3a2c47 stable=12 candidate=13 owner=checkout-live-13 | prod'
 */
import { createHash } from 'node:crypto';
import { PlanLimitError } from './errors.ts';

const PREFIX = 'coalmine-canary';
/** Lambda alias descriptions hold at most 256 characters. */
export const MAX_DESCRIPTION = 256;
const MARK = /^coalmine-canary id=([0-9a-f]{16}) stable=(\d+) candidate=(\d+)(?: owner=(\S+))?(?: control=(pause|promote))? \| ([\s\S]*)$/;
/** Marks written before owners were execution ARNs: owned by an execution name. */
const NAME_ONLY_MARK = /^coalmine-canary owner=(\S+) stable=(\d+) candidate=(\d+) \| ([\s\S]*)$/;

export interface OwnerMark {
  /** Digest of the owning execution's ARN; absent only in marks that predate it. */
  id?: string;
  /** The owning execution's name, when it fitted. */
  owner?: string;
  stable: string;
  candidate: string;
  /** The description before Coalmine took the alias, whole. */
  original: string;
  /** What an operator asked the canary to do at its next look (`coalmine pause`, `coalmine promote`). */
  control?: OperatorControl;
}

/** The operator controls that travel in the mark: hold the weights, or promote at the next look. */
export type OperatorControl = 'pause' | 'promote';

/** The execution an owner check is about. */
export interface Execution {
  /** The execution's ARN (`$$.Execution.Id`). */
  id: string;
  name: string;
}

/** 16 hex digits of SHA-256 of the execution ARN: 64 bits, so two executions never share one by chance. */
export function ownerId(executionArn: string): string {
  return createHash('sha256').update(executionArn).digest('hex').slice(0, 16);
}

/**
 * The description that marks the alias as `execution`'s. Throws PlanLimitError when the original
 * description cannot be kept whole beside the mark.
 */
export function ownerMark(mark: { executionArn: string; owner: string; stable: string; candidate: string; original: string }): string {
  const head = `${PREFIX} id=${ownerId(mark.executionArn)} stable=${mark.stable} candidate=${mark.candidate}`;
  const named = `${head} owner=${mark.owner} | ${mark.original}`;
  if (named.length <= MAX_DESCRIPTION && !/\s/.test(mark.owner)) return named;
  const bare = `${head} | ${mark.original}`;
  if (bare.length <= MAX_DESCRIPTION) return bare;
  throw new PlanLimitError(
    `alias description: ${mark.original.length} characters; Coalmine's owner mark needs ${head.length + 3} of Lambda's ${MAX_DESCRIPTION}, so the description could not be restored whole; shorten it to ${MAX_DESCRIPTION - head.length - 3} characters or fewer`,
  );
}

/** The mark in an alias description, or undefined when nobody owns the alias. */
export function readOwnerMark(description: string): OwnerMark | undefined {
  const match = MARK.exec(description);
  if (match) return { id: match[1]!, stable: match[2]!, candidate: match[3]!, ...(match[4] ? { owner: match[4] } : {}), ...(match[5] ? { control: match[5] as OperatorControl } : {}), original: match[6]! };
  const old = NAME_ONLY_MARK.exec(description);
  if (old) return { owner: old[1]!, stable: old[2]!, candidate: old[3]!, original: old[4]! };
  return undefined;
}

/** True when `mark` is `execution`'s: by ARN digest, or by name for a mark that predates digests. */
export function isOwner(mark: OwnerMark | undefined, execution: Execution): mark is OwnerMark {
  if (!mark) return false;
  return mark.id !== undefined ? mark.id === ownerId(execution.id) : mark.owner === execution.name;
}

/** How messages name the owner of a mark. */
export function describeOwner(mark: OwnerMark): string {
  return mark.owner ? `execution ${mark.owner}${mark.id ? ` (owner id ${mark.id})` : ''}` : `another execution (owner id ${mark.id})`;
}

/**
 * The description with `control` set in the mark (or taken out, with `undefined`): how an operator's
 * `coalmine pause|resume|promote` reaches the canary, which reads the mark at every look. The name
 * is dropped when the control would not fit otherwise; undefined when even that does not fit.
 */
export function withControl(description: string, control: OperatorControl | undefined): string | undefined {
  const mark = readOwnerMark(description);
  if (!mark?.id) return undefined;
  const head = `${PREFIX} id=${mark.id} stable=${mark.stable} candidate=${mark.candidate}`;
  const tail = `${control ? ` control=${control}` : ''} | ${mark.original}`;
  const named = mark.owner ? `${head} owner=${mark.owner}${tail}` : undefined;
  if (named && named.length <= MAX_DESCRIPTION) return named;
  return `${head}${tail}`.length <= MAX_DESCRIPTION ? `${head}${tail}` : undefined;
}
