/**
 * The console over real executions: Step Functions' executions of one state machine, each read
 * through the same fold of its history as `start --wait` and `run --local` (src/cli/follow.ts), and
 * shaped as the records the viewer draws. What only a local run has (the per-minute series of a
 * simulated account, excess failures) is absent; the step timeline and the charts of the checks'
 * figures come from the Evaluate state's outputs, as they do locally.
 */
import { ExecutionNotFoundError } from '../core/errors.ts';
import { executionArnFor, type ExecutionInfo, type HistoryEntry, type StepFunctionsExecutions } from '../aws/stepfunctions.ts';
import { emptyProgress, endingOf, isFinished, readProgress, type ExecutionProgress } from '../cli/follow.ts';
import type { ExecutionEvent, ExecutionRecord, RunStep } from '../local/record.ts';
import { summarise, type RecordListing, type RecordSource, type RecordSummary, type ViewerRecord } from './records.ts';

/** Executions the list reads at most. */
const LIST_LIMIT = 100;

/**
 * Executions of `stateMachineArn`, newest first. A finished execution never changes, so each is read
 * once; running ones are counted, and listed once they end.
 */
export function stepFunctionsSource(executions: StepFunctionsExecutions, stateMachineArn: string): RecordSource {
  const finished = new Map<string, RecordSummary>();

  async function read(name: string): Promise<ViewerRecord | undefined> {
    const arn = executionArnFor(stateMachineArn, name);
    let info: ExecutionInfo;
    try {
      info = await executions.describe(arn);
    } catch (error) {
      if (error instanceof ExecutionNotFoundError) return undefined;
      throw error;
    }
    // history() reads every page of the history, oldest first.
    const { entries } = await executions.history(arn);
    const progress = readProgress(emptyProgress(info), entries);
    return recordOf(info, progress, entries);
  }

  return {
    describe: `the executions of ${stateMachineArn}`,
    async list(): Promise<RecordListing> {
      const all = await executions.list(stateMachineArn, LIST_LIMIT);
      const summaries: RecordSummary[] = [];
      const skipped: RecordListing['skipped'] = [];
      for (const execution of all) {
        if (!isFinished(execution.status)) {
          skipped.push({ file: execution.name, reason: `still running (listed once it ends; open /executions/${execution.name} to follow it)` });
          continue;
        }
        let summary = finished.get(execution.executionArn);
        if (!summary) {
          const record = await read(execution.name);
          if (!record) continue;
          summary = summarise(record);
          finished.set(execution.executionArn, summary);
        }
        summaries.push(summary);
      }
      return { executions: summaries, skipped };
    },
    read,
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The fold's view of one execution, as a record the viewer draws. */
function recordOf(info: ExecutionInfo, progress: ExecutionProgress, entries: HistoryEntry[]): ViewerRecord {
  const ending = endingOf(info.error !== undefined && progress.error === undefined ? { ...progress, error: { error: info.error, ...(info.cause !== undefined ? { cause: info.cause } : {}) } } : progress);
  const request = parse(info.input);
  const events: ExecutionEvent[] = entries.map((entry) => ({
    at: entry.at,
    type: entry.type,
    ...(entry.state !== undefined ? { state: entry.state } : {}),
    ...(entry.output !== undefined ? { output: parse(entry.output) } : {}),
    ...(entry.error !== undefined ? { error: entry.error } : {}),
    ...(entry.cause !== undefined ? { cause: entry.cause } : {}),
  }));
  const steps: RunStep[] = progress.decisions.map((decision) => ({
    weight: decision.weight,
    minute: decision.minute,
    decision: decision.decision as RunStep['decision'],
    reasons: decision.reasons,
    checks: decision.checks,
    ...(decision.rollbackKind ? { rollbackKind: decision.rollbackKind } : {}),
  }));
  const result = {
    outcome: ending.outcome,
    rollbackKind: ending.rollbackKind,
    reason: isFinished(info.status) ? ending.reason : `still running: ${progress.statusLine ?? progress.state ?? 'starting'}`,
    steps,
    alias: progress.outcome?.alias ?? { version: progress.stableVersion ?? '?', routing: {} },
    minutesToDecision: ending.minutesToDecision ?? null,
    execution: info.name,
  } as unknown as ExecutionRecord['result'];
  const record: ExecutionRecord = {
    name: info.name,
    scenario: { name: progress.functionName ? `${progress.functionName}:${progress.alias ?? '?'}` : info.name, description: progress.planLine ?? '' },
    seed: 0,
    request: isObject(request) ? request : {},
    startedAt: info.startedAt,
    finishedAt: info.stoppedAt ?? new Date().toISOString(),
    recordedAt: info.startedAt,
    result,
    definition: undefined,
    events,
    series: [],
  };
  return { ...record, id: info.name };
}
