/** How a canary ends: the outcome written into the state, and the error Step Functions' Catch added. */
import * as z from 'zod/mini';
import '../zod-messages.ts';
import type { AliasState } from '../ports.ts';
import { outcomeTitle, type CanaryState, type Outcome, type RollbackKind } from '../state.ts';
import { iso } from '../time.ts';
import { routingNote } from './alias-rules.ts';

export function finish(state: CanaryState, outcome: { result: Outcome['result']; rollbackKind: RollbackKind | null; reason: string; alias: AliasState; restoredAfterPromotion?: boolean }, now: Date): CanaryState {
  const { alias } = outcome;
  return {
    ...state,
    status: `${outcomeTitle(outcome)}: ${state.plan.functionName}:${state.plan.alias} is on version ${alias.version}${routingNote(alias)} — ${outcome.reason}`,
    outcome: {
      result: outcome.result,
      rollbackKind: outcome.rollbackKind,
      reason: outcome.reason,
      alias: { version: alias.version, routing: alias.weights },
      finishedAt: iso(now),
      ...(outcome.result !== 'failed' && state.verdict?.checks ? { checks: state.verdict.checks.map(({ figures: _figures, ...check }) => check) } : {}),
    },
  };
}

export interface ErrorInfo {
  Error: string;
  Cause?: string;
}

export function parseError(value: unknown): ErrorInfo | undefined {
  const parsed = z.object({ Error: z.string(), Cause: z.optional(z.string()) }).safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Lambda errors reach Step Functions with a JSON cause; people want its message. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message itself
  }
  return cause.length > 500 ? `${cause.slice(0, 497)}...` : cause;
}
