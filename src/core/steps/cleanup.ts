/**
 * Cleanup: when an execution stops without reaching Promote or Rollback (aborted, timed out, failed),
 * EventBridge's Execution Status Change event starts this. It puts the alias back to the stable
 * version in the owner's mark, but only while the stopped execution still owns it.
 *
 * It trusts only what it can always read: Step Functions' own record of the execution (its status
 * and input, from DescribeExecution: the event may be late, replayed or come without its input) and
 * the mark on the alias (the alias is the one whose mark is this execution's, the stable version
 * and the original description are the mark's). Never the function's tags, which anyone may have
 * changed since. Throttling and transient errors are retried here before the invocation fails; a
 * cleanup that still fails is retried by Lambda, then lands in the failure queue whose alarm pages.
 */
import * as z from 'zod/mini';
import '../zod-messages.ts';
import { InvalidRequestError, ThrottledError, TransientServiceError } from '../errors.ts';
import { describeOwner, isOwner, readOwnerMark } from '../ownership.ts';
import type { AliasState, Ports } from '../ports.ts';
import { perRegion, requestRegion } from '../regions.ts';
import { parseRequest } from '../request.ts';
import type { ExecutionRef } from '../state.ts';
import { normaliseTrigger } from '../trigger.ts';
import { isCanaryRouting, routingNote } from './alias-rules.ts';

export interface CleanupResult {
  /** `released`: someone else had changed the alias; their routing was kept and only the mark taken off. */
  action: 'restored' | 'released' | 'none';
  reason: string;
  functionName?: string;
  alias?: string;
  version?: string;
}

/** Only what Cleanup needs of the event: which execution. Its input and status are read from Step Functions. */
const statusChangeEvent = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({ executionArn: z.string().check(z.minLength(1)), name: z.optional(z.string()) }),
});

const ENDED = ['ABORTED', 'TIMED_OUT', 'FAILED'];

export interface CleanupOptions {
  /** Waits between attempts (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
  /** Attempts of each call that is throttled or fails transiently. Default 5. */
  attempts?: number;
}

/** Step Functions' record of the execution in Coalmine's region; Lambda and SQS in the function's. */
export interface CleanupPorts extends Pick<Ports, 'executions'> {
  /** The ports of the region the stopped execution's function is in (src/core/regions.ts). */
  in(region: string | undefined): Pick<Ports, 'router' | 'queues'>;
}

export function createCleanup(ports: CleanupPorts, options: CleanupOptions = {}) {
  const restoreIn = perRegion((region) => createRestoreOwned(ports.in(region)));
  const retrying = retrier(options);
  return async function cleanup(event: unknown): Promise<CleanupResult> {
    const parsed = statusChangeEvent.safeParse(event);
    if (!parsed.success) throw new InvalidRequestError(`event: not a Step Functions Execution Status Change event (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`);
    const { executionArn } = parsed.data.detail;
    const name = parsed.data.detail.name ?? executionArn.split(':').at(-1) ?? executionArn;
    const described = await retrying(() => ports.executions.describeExecution(executionArn));
    if (!ENDED.includes(described.status)) {
      return { action: 'none', reason: `execution ${name} is ${described.status} (Step Functions says so, whatever the event said); nothing to clean up` };
    }
    let input: unknown;
    try {
      input = JSON.parse(described.input ?? 'null');
    } catch {
      input = undefined;
    }
    // The function is where the execution's input says (a release's target in another region), never elsewhere.
    const region = requestRegion(input);
    const result = await retrying(() => restoreIn(region)(input, { id: executionArn, name }));
    const deadLetters = result.action === 'none' ? undefined : await deadLetterNote(result, region);
    // Say why Cleanup ran: the person reading it was not there when the execution stopped.
    return { ...result, reason: `execution ${name} ${described.status === 'TIMED_OUT' ? 'timed out' : described.status.toLowerCase()}: ${result.reason}${deadLetters ? `; ${deadLetters}` : ''}` };
  };

  /**
   * An SQS canary stopped mid-way leaves its dead letters in the DLQ, and the ones the candidate
   * failed last are still on their way there: Cleanup cannot wait for them, so it says where they are.
   */
  async function deadLetterNote({ functionName, alias }: CleanupResult, region: string | undefined): Promise<string | undefined> {
    if (!functionName || !alias) return undefined;
    let sources;
    try {
      sources = await retrying(() => ports.in(region).queues.listQueueSources(functionName));
    } catch (error) {
      return `could not check whether an SQS queue triggers it (${error instanceof Error ? error.message : String(error)})`;
    }
    const source = sources.find((candidate) => candidate.functionArn.endsWith(`:${alias}`) && candidate.dlq);
    if (!source?.dlq) return undefined;
    return `the canary's dead letters stay in ${source.dlq.name}, none lost: once ${source.visibilityTimeoutSeconds} s have passed, move the ones since the canary started back to ${source.queueName} (SQS console, "Start DLQ redrive")`;
  };
}

/**
 * Restores the alias this execution's mark is on, to the mark's stable version and original
 * description, while the execution still owns it. The function comes from the execution's input;
 * the alias is found by its mark, among the function's aliases. Used by Cleanup and by a Rollback
 * of a Plan that failed.
 */
export function createRestoreOwned({ router }: Pick<Ports, 'router'>) {
  return async function restoreOwned(input: unknown, execution: ExecutionRef, { shifted = true }: { shifted?: boolean } = {}): Promise<CleanupResult> {
    const functionName = functionOf(input);
    if (!functionName) return { action: 'none', reason: 'its input names no function Coalmine could have taken an alias of; nothing to restore' };
    const owned = (await router.listAliases(functionName)).filter((alias) => isOwner(readOwnerMark(alias.description), execution));
    if (owned.length === 0) return { action: 'none', reason: `no alias of ${functionName} is marked as this execution's; left as they are`, functionName };
    const results: CleanupResult[] = [];
    for (const alias of owned) results.push(await restoreAlias(alias, shifted));
    return results.length === 1 ? results[0]! : { ...results[0]!, reason: results.map((result) => result.reason).join('; ') };
  };

  async function restoreAlias(alias: AliasState, shifted: boolean): Promise<CleanupResult> {
    const mark = readOwnerMark(alias.description)!;
    const where = `${alias.functionName}:${alias.name}`;
    // An execution that never shifted (its Plan failed) routed nothing: any routing is someone else's.
    const ours = shifted ? isCanaryRouting(alias, mark) : alias.version === mark.stable && Object.keys(alias.weights).length === 0;
    if (!ours) {
      // Someone changed the alias by hand but left the mark: keep their version and routing, only let go.
      const released = await router.updateAlias(alias.functionName, alias.name, { description: mark.original }, alias.revisionId);
      return { action: 'released', reason: `alias ${where} was changed by someone else (version ${released.version}${routingNote(released)}); Coalmine left their change and let go of the alias`, functionName: alias.functionName, alias: alias.name, version: released.version };
    }
    const after = await router.updateAlias(alias.functionName, alias.name, { version: mark.stable, weights: {}, description: mark.original }, alias.revisionId);
    return { action: 'restored', reason: `alias ${where} restored to version ${after.version} and let go (it was ${describeOwner(mark)}'s)`, functionName: alias.functionName, alias: alias.name, version: after.version };
  }
}

/** The function an execution's input is about, or undefined when the input names none Plan could have accepted. */
function functionOf(input: unknown): string | undefined {
  try {
    const trigger = normaliseTrigger(input);
    if (trigger.kind === 'published-version') return trigger.functionName;
    return parseRequest(trigger.request).functionName;
  } catch {
    // Plan refuses such an input before it touches anything.
    return undefined;
  }
}

/** Runs a call again after throttling or a transient failure, with full-jitter backoff. */
function retrier({ sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)), attempts = 5 }: CleanupOptions) {
  return async function retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const passing = error instanceof ThrottledError || error instanceof TransientServiceError;
        if (!passing || attempt >= attempts) throw error;
        await sleep(Math.random() * Math.min(8_000, 250 * 2 ** attempt));
      }
    }
  };
}
