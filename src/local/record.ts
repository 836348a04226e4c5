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

/** How many visits of each state a record keeps whole, input and output: the console shows the last five. */
export const VISITS_KEPT = 5;

/**
 * The events a record keeps, so that a record grows with the looks, not with the canary state each
 * event carries (up to 160 KB of plan): every event keeps its time, type, state, error and cause;
 * inputs and outputs are kept whole for the execution itself, for the last `VISITS_KEPT` visits of
 * each state and for the first output that carries the plan. An earlier output of a look (the
 * Evaluate state) keeps everything but the plan, which never changes after Plan: the console draws
 * the looks from them. Records written before kept every input and output; they read the same.
 */
export class RecordedEvents {
  readonly events: ExecutionEvent[] = [];
  /** Each state's visits still kept whole, oldest first: the events from its StateEntered on. */
  private readonly visits = new Map<string, ExecutionEvent[][]>();
  private planKept = false;

  /** `isLook`: the states whose outputs are the judge's looks. */
  constructor(private readonly isLook: (state: string) => boolean) {}

  add(event: ExecutionEvent): void {
    // A copy: whoever else was handed the event keeps it whole.
    const kept: ExecutionEvent = { ...event };
    this.events.push(kept);
    const state = kept.state;
    if (state === undefined) return;
    if (!this.planKept && kept.type === 'StateExited' && hasPlan(kept.output)) {
      this.planKept = true;
      return;
    }
    const visits = this.visits.get(state) ?? [];
    this.visits.set(state, visits);
    if (kept.type === 'StateEntered') {
      visits.push([kept]);
      if (visits.length > VISITS_KEPT) for (const old of visits.shift()!) this.trim(old);
    } else {
      visits.at(-1)?.push(kept);
    }
  }

  private trim(event: ExecutionEvent): void {
    delete event.input;
    if (event.output === undefined) return;
    if (event.type === 'StateExited' && this.isLook(event.state!) && hasPlan(event.output)) {
      const { plan: _plan, ...look } = event.output;
      event.output = look;
    } else {
      delete event.output;
    }
  }
}

function hasPlan(value: unknown): value is { plan: unknown } {
  return typeof value === 'object' && value !== null && 'plan' in value;
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
