/**
 * What a local run produces: the `run --json` object (docs/contract.md §1) and the execution record
 * written to `.coalmine/executions/<execution name>-<timestamp>.json`, which the console reads.
 * Times inside a record are simulated times (ISO), so a scenario and a seed give the same record.
 */
import type { Decision, Ending, JudgedRollbackKind, RollbackKind } from '../core/state.ts';
import type { SeriesPoint } from '../sim/account/index.ts';
import type { QueueAccounting } from '../sim/queue/index.ts';

export type { SeriesPoint } from '../sim/account/index.ts';
import type { PlannedForecast } from '../core/state.ts';

/** One evaluation of the canary, as `run --json` lists them. */
export interface RunStep {
  /** Candidate's share of traffic when it was judged, in percent. */
  weight: number;
  /** Simulated minutes since the first shift when the judge looked. */
  minute: number;
  decision: Decision;
  /** With decision `rollback`: a found `regression`, or `inconclusive` (no verdict in time). */
  rollbackKind?: JudgedRollbackKind;
  reasons: string[];
  /** Every check the judge ran at this look, the decisive first: phase, one plain line, figures. */
  checks: StepCheck[];
}

/** One check at one look (docs/contract.md, `steps[].checks`). */
export interface StepCheck {
  name: string;
  phase: 'pass' | 'inconclusive' | 'fail';
  summary: string;
  figures?: Record<string, number | string | boolean | null>;
}

/** The `run --json` object. */
export interface RunResult {
  outcome: Ending;
  /**
   * Why it was rolled back: `regression` (exit 3), `inconclusive` (could not decide in time, exit 4),
   * `error` (a step failed; the rollback was the safe ending); null when it was not rolled back.
   */
  rollbackKind: RollbackKind | null;
  /** One sentence a person can act on. */
  reason: string;
  /** Present (true) when the candidate was promoted, then restored: a regression found while judging it after promotion (exit 5). */
  restoredAfterPromotion?: true;
  steps: RunStep[];
  /** The alias when the execution has ended. `routing` is in percent (`{ "13": 10 }`), empty when not split. */
  alias: { version: string; routing: Record<string, number> };
  /** Failed requests served by the candidate beyond what stable's error rate would have failed on them, to the horizon. */
  excessFailures: number;
  /** Simulated minutes from the first shift to the final decision (promote or roll back); null when traffic never moved. */
  minutesToDecision: number | null;
  /** What the SQS queue model counted over the run (SQS scenarios only); `lost` must be 0. */
  queue?: QueueAccounting;
  /**
   * What Plan forecast before any traffic moved (docs/contract.md §1, version 2): minutes for a
   * candidate as good as stable to be promoted (null: not within the budget), the bar it must be
   * shown under, and the guarantee in one sentence; with the rest of the plan's forecast.
   */
  forecast?: PlannedForecast;
  /** The error the execution failed with (`CanaryRolledBack` for a found regression, `CanaryInconclusive` for an inconclusive canary). */
  errorName?: string;
  /** The execution's name, as `coalmine start` would name it, with `-local-<seed>`. */
  execution: string;
  /** Where the record was written, when it was. */
  record?: string;
}

/** One thing that happened in the execution, at its simulated time. */
export interface ExecutionEvent {
  at: string;
  /** aws-local-stepfunctions' event type: ExecutionStarted, StateEntered, StateExited, StateFailed, StateRetried, StateCaught, ExecutionSucceeded, ExecutionFailed… */
  type: string;
  /** The state's name, for state events. */
  state?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** The file a local run writes, and the console reads. */
export interface ExecutionRecord {
  name: string;
  scenario: { name: string; description: string; expect?: 'promote' | 'rollback' };
  seed: number;
  /** The state machine's input. */
  request: unknown;
  /** Simulated start and end of the execution. */
  startedAt: string;
  finishedAt: string;
  /** Wall-clock time the record was written (the only wall-clock time in it). */
  recordedAt: string;
  result: RunResult;
  /** The ASL the run executed (placeholders substituted). */
  definition: unknown;
  events: ExecutionEvent[];
  series: SeriesPoint[];
}
