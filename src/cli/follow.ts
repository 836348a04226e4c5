/**
 * Following an execution on AWS: its history, read oldest first, folded into where the canary
 * stands (the step, the weight, the latest decision and its figures) and, at the end, how it ended.
 * `readProgress` is pure; `followExecution` polls with backoff and always ends: when the execution
 * ends, when Step Functions cannot be reached or refuses us, or when the wait limit is reached.
 */
import { AccessDeniedError, CoalmineError, ThrottledError, TransientServiceError } from '../core/errors.ts';
import { consoleUrlFor, type ExecutionInfo, type ExecutionStatus, type HistoryEntry, type StepFunctionsExecutions } from '../aws/stepfunctions.ts';
import { RESTORED_ERROR, rollbackKindOfError, type Ending, type RollbackKind } from '../core/state.ts';
import { exitCodeForOutcome, type ExitCode } from './exit-codes.ts';
import type { ExecutionEvent } from '../local/record.ts';
import type { Output } from './io.ts';

/** The states whose output carries a decision (Plan's first, then every evaluation). */
export const EVALUATE_STATE = 'Evaluate the canary';

export type Figures = Record<string, number | string | boolean | null>;

/** One check at one look, as the Evaluate state wrote it (docs/contract.md, `steps[].checks`). */
export interface CheckRecord {
  name: string;
  phase: 'pass' | 'inconclusive' | 'fail';
  summary: string;
  figures?: Figures;
}

export interface DecisionRecord {
  /** Minutes since the execution started. */
  minute: number;
  at: string;
  weight: number;
  decision: string;
  reasons: string[];
  figures: Figures;
  /** Every check at this look, the decisive first; empty when the state carries none. */
  checks: CheckRecord[];
  /** With decision `rollback`: whether a check found a regression or the canary could not decide. */
  rollbackKind?: 'regression' | 'inconclusive';
}

export interface ExecutionProgress {
  executionArn: string;
  name: string;
  consoleUrl: string;
  status: ExecutionStatus;
  startedAt: string;
  /** The state the execution is in (or last was in). */
  state?: string;
  /** One line the state machine wrote for people (`status` in the execution state). */
  statusLine?: string;
  /** Plan's status line: what moves, in which steps (the first state that carries a plan wrote it). */
  planLine?: string;
  functionName?: string;
  alias?: string;
  stableVersion?: string;
  candidateVersion?: string;
  strategy?: { name: string; steps: number[]; intervalMinutes: number };
  /** What Plan warned of (a setup that invites trouble, a check it could not make); printed once, on stderr. */
  warnings?: string[];
  /** 0-based index of the current step; -1 before the first shift. */
  stepIndex?: number;
  weight?: number;
  decisions: DecisionRecord[];
  /** How the canary ended, as Promote or Rollback wrote it. */
  outcome?: { result: string; reason: string; rollbackKind?: 'regression' | 'inconclusive'; alias?: { version: string; routing: Record<string, number> } };
  error?: { error: string; cause?: string };
  lastEventId: number;
}

/** How an execution ended, in the terms of `coalmine run --json`. */
export interface ExecutionEnding {
  outcome: Ending;
  /** `regression` (exit 3), `inconclusive` (exit 4), `error` (a step failed, exit 1 or 2), or null. */
  rollbackKind: RollbackKind | null;
  reason: string;
  exitCode: ExitCode;
  /** Minutes from the start to the decision that ended it, when a decision ended it. */
  minutesToDecision?: number;
  /** Present (true) when the candidate was promoted, then restored after a regression found after promotion (exit 5). */
  restoredAfterPromotion?: true;
}

export function emptyProgress(execution: Pick<ExecutionInfo, 'executionArn' | 'name' | 'startedAt'> & { status?: ExecutionStatus }): ExecutionProgress {
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    consoleUrl: consoleUrlFor(execution.executionArn),
    status: execution.status ?? 'RUNNING',
    startedAt: execution.startedAt,
    decisions: [],
    lastEventId: 0,
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The execution state from a state's output or a `lambda:invoke` result (`{ Payload: state }`). */
function canaryStateOf(output: string | undefined): Json | undefined {
  const parsed = parseJson(output);
  if (!isObject(parsed)) return undefined;
  return isObject(parsed.Payload) ? parsed.Payload : parsed;
}

function minutesBetween(from: string, to: string): number {
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 60_000));
}

function figuresOf(value: unknown): Figures {
  if (!isObject(value)) return {};
  const figures: Figures = {};
  for (const [key, figure] of Object.entries(value)) {
    if (figure === null || ['number', 'string', 'boolean'].includes(typeof figure)) figures[key] = figure as Figures[string];
  }
  return figures;
}

const PHASES = new Set(['pass', 'inconclusive', 'fail']);

function checksOf(value: unknown): CheckRecord[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((check): CheckRecord[] =>
    isObject(check) && typeof check.name === 'string' && typeof check.summary === 'string' && typeof check.phase === 'string' && PHASES.has(check.phase)
      ? [{ name: check.name, phase: check.phase as CheckRecord['phase'], summary: check.summary, ...(isObject(check.figures) ? { figures: figuresOf(check.figures) } : {}) }]
      : [],
  );
}

function absorbState(progress: ExecutionProgress, state: Json, entry: HistoryEntry): void {
  if (typeof state.status === 'string') progress.statusLine = state.status;
  const plan = state.plan;
  if (isObject(plan) && progress.planLine === undefined && typeof state.status === 'string') progress.planLine = state.status;
  if (isObject(plan)) {
    if (typeof plan.functionName === 'string') progress.functionName = plan.functionName;
    if (typeof plan.alias === 'string') progress.alias = plan.alias;
    if (typeof plan.stableVersion === 'string') progress.stableVersion = plan.stableVersion;
    if (typeof plan.candidateVersion === 'string') progress.candidateVersion = plan.candidateVersion;
    if (Array.isArray(plan.warnings)) progress.warnings = plan.warnings.filter((warning): warning is string => typeof warning === 'string');
    const strategy = plan.strategy;
    if (isObject(strategy) && Array.isArray(strategy.steps)) {
      progress.strategy = {
        name: typeof strategy.name === 'string' ? strategy.name : 'custom',
        steps: strategy.steps.filter((step): step is number => typeof step === 'number'),
        intervalMinutes: typeof strategy.intervalMinutes === 'number' ? strategy.intervalMinutes : 0,
      };
    }
  }
  const stateProgress = state.progress;
  if (isObject(stateProgress)) {
    if (typeof stateProgress.stepIndex === 'number') progress.stepIndex = stateProgress.stepIndex;
    if (typeof stateProgress.weight === 'number') progress.weight = stateProgress.weight;
  }
  const verdict = state.verdict;
  if (entry.state === EVALUATE_STATE && isObject(verdict) && typeof verdict.decision === 'string') {
    progress.decisions.push({
      minute: minutesBetween(progress.startedAt, entry.at),
      at: entry.at,
      weight: progress.weight ?? 0,
      decision: verdict.decision,
      reasons: Array.isArray(verdict.reasons) ? verdict.reasons.filter((reason): reason is string => typeof reason === 'string') : [],
      figures: figuresOf(verdict.figures),
      checks: checksOf(verdict.checks),
      ...(verdict.rollbackKind === 'regression' || verdict.rollbackKind === 'inconclusive' ? { rollbackKind: verdict.rollbackKind } : {}),
    });
  }
  const outcome = state.outcome;
  if (isObject(outcome) && typeof outcome.result === 'string') {
    const alias = outcome.alias;
    progress.outcome = {
      result: outcome.result,
      reason: typeof outcome.reason === 'string' ? outcome.reason : '',
      ...(outcome.rollbackKind === 'regression' || outcome.rollbackKind === 'inconclusive' ? { rollbackKind: outcome.rollbackKind } : {}),
      ...(isObject(alias) && typeof alias.version === 'string'
        ? { alias: { version: alias.version, routing: (isObject(alias.routing) ? alias.routing : {}) as Record<string, number> } }
        : {}),
    };
  }
  const error = state.error;
  if (isObject(error) && typeof error.Error === 'string') {
    progress.error = { error: error.Error, ...(typeof error.Cause === 'string' ? { cause: error.Cause } : {}) };
  }
}

/**
 * Folds history entries (oldest first) into the progress. Entries already seen (by id) are skipped,
 * so a poll may hand over a page it has partly seen before.
 */
export function readProgress(progress: ExecutionProgress, entries: readonly HistoryEntry[]): ExecutionProgress {
  const next: ExecutionProgress = { ...progress, decisions: [...progress.decisions] };
  for (const entry of entries) {
    if (entry.id <= next.lastEventId) continue;
    next.lastEventId = entry.id;
    if (entry.type.endsWith('StateEntered') && entry.state) next.state = entry.state;
    // A state's output (after OutputPath) is the execution state; TaskSucceeded carries the raw
    // Lambda result. Reading both would count each decision twice, so decisions come from the former.
    if (entry.type.endsWith('StateExited')) {
      const state = canaryStateOf(entry.output);
      if (state) absorbState(next, state, entry);
    }
    switch (entry.type) {
      case 'ExecutionSucceeded': {
        next.status = 'SUCCEEDED';
        const state = canaryStateOf(entry.output);
        if (state) absorbState(next, state, { ...entry, state: 'end' });
        break;
      }
      case 'ExecutionFailed':
        next.status = 'FAILED';
        next.error = { error: entry.error ?? 'States.Runtime', ...(entry.cause !== undefined ? { cause: entry.cause } : {}) };
        break;
      case 'ExecutionAborted':
        next.status = 'ABORTED';
        next.error = { error: entry.error ?? 'Aborted', ...(entry.cause !== undefined ? { cause: entry.cause } : {}) };
        break;
      case 'ExecutionTimedOut':
        next.status = 'TIMED_OUT';
        next.error = { error: entry.error ?? 'States.Timeout', ...(entry.cause !== undefined ? { cause: entry.cause } : {}) };
        break;
      default:
        break;
    }
  }
  return next;
}

/**
 * A local run's event (src/local/runner.ts) as a history entry, so that `run --local` folds its
 * execution exactly as `start --wait` folds one on AWS. `id` counts the events from 1.
 */
export function historyEntryOf(event: ExecutionEvent, id: number): HistoryEntry {
  return {
    id,
    at: event.at,
    type: event.type,
    ...(event.state !== undefined ? { state: event.state } : {}),
    ...(event.output !== undefined ? { output: JSON.stringify(event.output) } : {}),
    ...(event.error !== undefined ? { error: event.error } : {}),
    ...(event.cause !== undefined ? { cause: event.cause } : {}),
  };
}

export function isFinished(status: ExecutionStatus): boolean {
  return status !== 'RUNNING' && status !== 'PENDING_REDRIVE';
}

/** How a finished execution ended: outcome, one reason a person can act on, and the exit code. */
export function endingOf(progress: ExecutionProgress): ExecutionEnding {
  const finalDecision = [...progress.decisions].reverse().find((decision) => decision.decision === 'promote' || decision.decision === 'rollback');
  const minutesToDecision = finalDecision ? { minutesToDecision: finalDecision.minute } : {};
  const error = progress.error?.error;
  const cause = progress.error?.cause ?? '';
  switch (progress.status) {
    case 'SUCCEEDED':
      if (progress.outcome?.result === 'promoted' || progress.outcome === undefined) {
        const reason = progress.outcome?.reason || progress.statusLine || 'promoted';
        if (progress.outcome === undefined && progress.state === 'Skipped') {
          return { outcome: 'failed', reason: `Coalmine skipped this canary: ${progress.statusLine ?? 'nothing to do'}`, rollbackKind: null, exitCode: exitCodeForOutcome('failed') };
        }
        return { outcome: 'promoted', rollbackKind: null, reason, exitCode: exitCodeForOutcome('promoted'), ...minutesToDecision };
      }
      return { outcome: 'failed', rollbackKind: null, reason: progress.outcome.reason, exitCode: exitCodeForOutcome('failed') };
    case 'FAILED': {
      const judged = rollbackKindOfError(error);
      if (judged) {
        const fallback = judged === 'inconclusive' ? 'the canary could not decide in time and rolled back; no regression was found' : judged === 'rejected' ? 'a person rejected the candidate (coalmine reject)' : 'the judge rolled the candidate back';
        const restored = error === RESTORED_ERROR ? { restoredAfterPromotion: true as const } : {};
        // A restore after promotion says itself why: a regression, or metrics missing past the bake (inconclusive).
        const kind = error === RESTORED_ERROR ? (progress.outcome?.rollbackKind ?? judged) : judged;
        return { outcome: 'rolled-back', rollbackKind: kind, reason: cause || progress.outcome?.reason || fallback, exitCode: exitCodeForOutcome('rolled-back', error, judged), ...minutesToDecision, ...restored };
      }
      // Every other Fail state is reached through "Roll back after an error".
      return { outcome: 'failed', rollbackKind: 'error', reason: `${error ?? 'failed'}${cause ? `: ${cause}` : ''}`, exitCode: exitCodeForOutcome('failed', error) };
    }
    case 'ABORTED':
      return {
        outcome: 'failed',
        rollbackKind: null,
        reason: `the execution was stopped${cause ? ` (${cause})` : ''}; the status-change rule rolls the alias back to the stable version`,
        exitCode: exitCodeForOutcome('failed'),
      };
    case 'TIMED_OUT':
      return { outcome: 'failed', rollbackKind: null, reason: 'the execution timed out; the status-change rule rolls the alias back to the stable version', exitCode: exitCodeForOutcome('failed') };
    default:
      return { outcome: 'failed', rollbackKind: null, reason: `the execution is still ${progress.status.toLowerCase()}`, exitCode: exitCodeForOutcome('failed') };
  }
}

export interface FollowOptions {
  /** Called after every poll that changed something. */
  onProgress?: (progress: ExecutionProgress) => void;
  /** Waits between polls; tests pass one that does not. */
  sleep?: (ms: number) => Promise<void>;
  /** First and longest pause between polls, ms. The pause doubles while nothing happens. */
  minPollMs?: number;
  maxPollMs?: number;
  /** Consecutive failed polls (throttled, network) before giving up. */
  maxFailedPolls?: number;
  /** Stop following after this long, ms (the execution goes on). */
  maxWaitMs?: number;
  now?: () => number;
}

/** Following stopped before the execution ended: we cannot reach or may not read it, or waited too long. */
export class FollowError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FollowError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls the execution's history until it ends, and returns the progress at the end.
 * Throws FollowError when Step Functions refuses (permissions), keeps failing, or the wait limit passes.
 */
export async function followExecution(
  executions: StepFunctionsExecutions,
  start: ExecutionProgress,
  options: FollowOptions = {},
): Promise<ExecutionProgress> {
  const sleep = options.sleep ?? defaultSleep;
  const minPollMs = options.minPollMs ?? 2_000;
  const maxPollMs = options.maxPollMs ?? 30_000;
  const maxFailedPolls = options.maxFailedPolls ?? 6;
  const now = options.now ?? Date.now;
  const deadline = options.maxWaitMs === undefined ? Infinity : now() + options.maxWaitMs;
  let progress = start;
  let resumeToken: string | undefined;
  let pause = minPollMs;
  let failedPolls = 0;
  for (;;) {
    try {
      const page = await executions.history(progress.executionArn, resumeToken);
      failedPolls = 0;
      resumeToken = page.resumeToken;
      const before = progress.lastEventId;
      progress = readProgress(progress, page.entries);
      if (progress.lastEventId !== before) {
        options.onProgress?.(progress);
        pause = minPollMs;
      } else {
        pause = Math.min(maxPollMs, pause * 2);
      }
      if (isFinished(progress.status)) return progress;
    } catch (error) {
      if (error instanceof AccessDeniedError) {
        throw new FollowError(`stopped following ${progress.name}: Step Functions refused to show its history (${error.message}); grant states:GetExecutionHistory and states:DescribeExecution, then run coalmine status ${progress.name}`, { cause: error });
      }
      if (!(error instanceof ThrottledError || error instanceof TransientServiceError)) throw error;
      failedPolls += 1;
      if (failedPolls >= maxFailedPolls) {
        throw new FollowError(`lost connection to Step Functions after ${failedPolls} failed polls (${error.message}); the execution goes on: ${progress.consoleUrl}`, { cause: error });
      }
      pause = Math.min(maxPollMs, pause * 2);
    }
    if (now() + pause > deadline) {
      throw new FollowError(`stopped waiting for ${progress.name} after the wait limit; the execution goes on: ${progress.consoleUrl}`);
    }
    await sleep(pause);
  }
}

/**
 * Prints Plan's warnings as `warning: …` lines, once each, as soon as the progress carries them:
 * call it with every new progress of one execution.
 */
export function warningPrinter(out: Output): (progress: ExecutionProgress) => void {
  const printed = new Set<string>();
  return (progress) => {
    for (const warning of progress.warnings ?? []) {
      if (printed.has(warning)) continue;
      printed.add(warning);
      out.write(`warning: ${warning}\n`);
    }
  };
}
