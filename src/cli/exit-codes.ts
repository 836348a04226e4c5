/**
 * Exit codes, as docs/contract.md §1 fixes them: 0 promoted (or the command did what it was
 * asked), 3 rolled back on evidence of harm, 4 rolled back because it could not decide in time,
 * 5 promoted, then restored to stable after a regression found after promotion, 2 bad input,
 * 1 anything else.
 */
import { isBadInputError } from '../core/errors.ts';
import { RESTORED_ERROR, ROLLBACK_ERRORS, type Ending, type RollbackKind } from '../core/state.ts';

export const EXIT = { ok: 0, failed: 1, badInput: 2, rolledBack: 3, inconclusive: 4, restored: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for how a canary ended: the one place that maps endings to codes. */
export function exitCodeForOutcome(outcome: Ending, error?: string, rollbackKind?: RollbackKind | null): ExitCode {
  if (outcome === 'promoted') return EXIT.ok;
  if (outcome === 'rolled-back' && error === RESTORED_ERROR) return EXIT.restored;
  if (outcome === 'rolled-back') return rollbackKind === 'inconclusive' || error === ROLLBACK_ERRORS.inconclusive ? EXIT.inconclusive : EXIT.rolledBack;
  return isBadInputError(error) ? EXIT.badInput : EXIT.failed;
}

/** Bad input of the commands themselves, beside a canary's (`isBadInputError`): a wrong state machine, a wrong option, an execution that cannot take a control. */
const COMMAND_INPUT_ERRORS: readonly string[] = ['StateMachineNotFoundError', 'CommanderError', 'ExecutionNotWaitingError'];

/** The exit code for an error a command threw before it could do anything. */
export function exitCodeForError(error: unknown): ExitCode {
  const name = error instanceof Error ? error.name : '';
  return isBadInputError(name) || COMMAND_INPUT_ERRORS.includes(name) ? EXIT.badInput : EXIT.failed;
}

/** One line for stderr: the message, without the stack or newlines. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** What a failed command prints on stdout with --json: the contract's outcome and reason, and the error's name. */
export function failureJson(error: string, reason: string): { outcome: 'failed'; error: string; reason: string } {
  return { outcome: 'failed', error, reason: reason.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim() };
}
