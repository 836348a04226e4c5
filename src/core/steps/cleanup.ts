/**
 * Cleanup: when an execution stops without reaching Promote or Rollback (aborted, timed out, failed),
 * EventBridge's Execution Status Change event starts this. It puts the alias back to the stable
 * version in the owner's mark, but only while the stopped execution still owns it.
 */
import * as z from 'zod/mini';
import '../zod-messages.ts';
import { InvalidRequestError } from '../errors.ts';
import { readOwnerMark } from '../ownership.ts';
import type { Ports } from '../ports.ts';
import { parseRequest } from '../request.ts';
import { normaliseTrigger } from '../trigger.ts';
import { isCanaryRouting, OPT_IN_TAG, routingNote } from './alias-rules.ts';

export interface CleanupResult {
  /** `released`: someone else had changed the alias; their routing was kept and only the mark taken off. */
  action: 'restored' | 'released' | 'none';
  reason: string;
  functionName?: string;
  alias?: string;
  version?: string;
}

const statusChangeEvent = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    input: z.optional(z.nullable(z.string())),
  }),
});

export function createCleanup(ports: Pick<Ports, 'router' | 'functions'>) {
  const restoreIfOwned = createRestoreIfOwned(ports);
  return async function cleanup(event: unknown): Promise<CleanupResult> {
    const parsed = statusChangeEvent.safeParse(event);
    if (!parsed.success) throw new InvalidRequestError(`event: not a Step Functions Execution Status Change event (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`);
    const { name, status, input } = parsed.data.detail;
    if (!['ABORTED', 'TIMED_OUT', 'FAILED'].includes(status)) return { action: 'none', reason: `execution ${name} is ${status}; nothing to clean up` };
    let request: unknown;
    try {
      request = JSON.parse(input ?? 'null');
    } catch {
      return { action: 'none', reason: `execution ${name}'s input is not JSON (it may have been truncated); cannot find its alias` };
    }
    const result = await restoreIfOwned(request, name);
    // Say why Cleanup ran: the person reading it was not there when the execution stopped.
    return { ...result, reason: `execution ${name} ${status === 'TIMED_OUT' ? 'timed out' : status.toLowerCase()}: ${result.reason}` };
  };
}

/**
 * Restores the stable version recorded in the mark when `owner` still owns the alias that the
 * execution's input names. Used by Cleanup and by a Rollback of a Plan that failed.
 */
export function createRestoreIfOwned({ router, functions }: Pick<Ports, 'router' | 'functions'>) {
  return async function restoreIfOwned(input: unknown, owner: string): Promise<CleanupResult> {
    const trigger = normaliseTrigger(input);
    let functionName: string;
    let aliasName: string;
    if (trigger.kind === 'published-version') {
      const fn = await functions.getFunction(trigger.functionName);
      const tagged = fn.tags[OPT_IN_TAG];
      if (!tagged) return { action: 'none', reason: `${fn.functionName} has not opted in; nothing to restore` };
      functionName = fn.functionName;
      aliasName = tagged;
    } else {
      const request = parseRequest(trigger.request);
      functionName = request.functionName;
      aliasName = request.alias;
    }
    const alias = await router.getAlias(functionName, aliasName);
    const mark = readOwnerMark(alias.description);
    if (mark?.owner !== owner) {
      return { action: 'none', reason: `alias ${functionName}:${aliasName} is not owned by ${owner}; left as it is`, functionName, alias: aliasName, version: alias.version };
    }
    if (!isCanaryRouting(alias, mark)) {
      // Someone changed the alias by hand but left the mark: keep their version and routing, only let go.
      const released = await router.updateAlias(functionName, aliasName, { description: mark.original }, alias.revisionId);
      return { action: 'released', reason: `alias ${functionName}:${aliasName} was changed by someone else (version ${released.version}${routingNote(released)}); Coalmine left their change and let go of the alias`, functionName, alias: aliasName, version: released.version };
    }
    const after = await router.updateAlias(functionName, aliasName, { version: mark.stable, weights: {}, description: mark.original }, alias.revisionId);
    return { action: 'restored', reason: `alias ${functionName}:${aliasName} restored to version ${after.version} and let go`, functionName, alias: aliasName, version: after.version };
  };
}
