/**
 * Rollback: the alias back to the stable version, the owner's mark taken off. Catch sends every
 * failure here too, with the error beside the state; a failure before Plan finished has no plan.
 */
import { ThrottledError, TransientServiceError } from '../errors.ts';
import { describeOwner, isOwner, readOwnerMark } from '../ownership.ts';
import type { Ports } from '../ports.ts';
import { redriveDelaySeconds } from '../sqs.ts';
import { canaryStateSchema, type ExecutionRef } from '../state.ts';
import { addSeconds, iso } from '../time.ts';
import { isCanaryRouting, routingNote, sameRouting } from './alias-rules.ts';
import { createRestoreOwned } from './cleanup.ts';
import { causeMessage, finish, parseError, type ErrorInfo } from './outcome.ts';
import { parsePayload, rollbackPayload } from './payload.ts';

export function createRollback(ports: Pick<Ports, 'router' | 'clock'>) {
  const { router, clock } = ports;
  const restoreOwned = createRestoreOwned(ports);

  return async function rollback(payload: unknown): Promise<unknown> {
    const { state: raw, execution } = parsePayload(rollbackPayload, payload, 'Rollback');
    const error = parseError(raw['error']);
    const parsedState = canaryStateSchema.safeParse(raw);
    if (!parsedState.success) return rollbackWithoutPlan(raw, error, execution);
    const state = parsedState.data;
    const { plan: p } = state;

    const alias = await router.getAlias(p.functionName, p.alias);
    const mark = readOwnerMark(alias.description);
    const ours = isOwner(mark, execution);
    // A routing this canary writes itself may carry a newer revision than the state knows: a Shift
    // whose answer was lost (its Lambda timed out after UpdateAlias). That is ours to undo, not someone else's.
    const changedBySomeoneElse = ours && alias.revisionId !== state.progress.revisionId && !isCanaryRouting(alias, mark, p.strategy.steps);
    let after = alias;
    const notes: string[] = [];
    if (ours && changedBySomeoneElse) {
      // Someone changed the alias mid-canary but left our mark: keep their version and routing,
      // only take our mark off (against their revision, so a newer change is not overwritten).
      after = await router.updateAlias(p.functionName, p.alias, { description: mark.original }, alias.revisionId);
      notes.push(`alias ${p.alias} was changed by someone else; Coalmine left their change (version ${alias.version}${routingNote(alias)}) and let go of the alias`);
    } else if (ours) {
      after = await router.updateAlias(p.functionName, p.alias, { version: p.stableVersion, weights: {}, description: p.originalDescription }, alias.revisionId);
    } else if (mark) {
      notes.push(`alias ${p.alias} is owned by ${describeOwner(mark)}, not this one; left as it is`);
    } else if (!sameRouting(alias, { version: p.stableVersion, weights: {} })) {
      notes.push(`alias ${p.alias} was not owned by this execution any more (now version ${alias.version}${routingNote(alias)}); left as it is`);
    }

    // A person's `coalmine reject` reaches here through the wait for approval's Catch (`rejection`).
    const rejection = error ? undefined : parseError(raw['rejection']);
    const reason = error
      ? `${error.Error}: ${causeMessage(error.Cause)}`
      : rejection ? causeMessage(rejection.Cause) : (state.verdict?.reasons[0] ?? 'rolled back');
    // A state from before verdicts said their kind was rolled back on a judged verdict: a regression.
    const rollbackKind = error ? 'error' : rejection ? 'rejected' : (state.verdict?.rollbackKind ?? 'regression');
    const ended = finish(state, { result: error ? 'failed' : 'rolled-back', rollbackKind, reason: [reason, ...notes].join('; '), alias: after }, clock.now());
    // Dead letters are moved back only once the alias is fully on stable, and only after the
    // messages the candidate failed last have had a visibility timeout to reach the DLQ.
    if (p.queue?.dlq && p.redriveOnRollback && sameRouting(after, { version: p.stableVersion, weights: {} })) {
      const at = addSeconds(clock.now(), redriveDelaySeconds(p.queue));
      return { ...ended, status: `${ended.status}; the canary's dead letters go back to ${p.queue.queueName} at ${iso(at)}`, redrive: { at: iso(at) } };
    }
    return ended;
  };

  /** The Plan step failed: no plan in the state. Let go of the alias only if this execution took it. */
  async function rollbackWithoutPlan(raw: Record<string, unknown>, error: ErrorInfo | undefined, execution: ExecutionRef) {
    const reason = error ? `${error.Error}: ${causeMessage(error.Cause)}` : 'the canary never started';
    // The input is the execution's input, with the error that Catch added beside it.
    const { error: _error, ...input } = raw;
    // Throttling and transient failures go to the state machine's Retry; anything else is said, not hidden.
    const target = await restoreOwned(input, execution, { shifted: false }).catch((failure: unknown) => {
      if (failure instanceof ThrottledError || failure instanceof TransientServiceError) throw failure;
      return { action: 'none' as const, reason: `could not look for an alias this execution marked (${failure instanceof Error ? failure.message : String(failure)})` };
    });
    const note = target.action !== 'none' || target.reason.startsWith('could not') ? target.reason : 'the alias was not touched';
    return {
      status: `Failed before the canary started: ${reason}`,
      error,
      outcome: {
        result: 'failed',
        rollbackKind: 'error',
        reason: `${reason}; ${note}`,
        ...('functionName' in target && target.functionName ? { functionName: target.functionName, alias: target.alias } : {}),
        finishedAt: iso(clock.now()),
      },
    };
  }
}
