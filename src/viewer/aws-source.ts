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
import { releaseResultOf } from '../cli/release.ts';
import type { ReleaseInput } from '../core/release.ts';
import { summarise, type RecordListing, type RecordSource, type RecordSummary, type ReleaseListEntry, type ViewerRecord } from './records.ts';

/** Executions the list reads at most. */
const LIST_LIMIT = 100;

/**
 * Executions of `stateMachineArn`, newest first. A finished execution never changes, so each is read
 * once; running ones are counted, and listed once they end. With `releaseStateMachineArn` (asked for
 * when the list is read, so a stack without a release state machine fails only the releases), the
 * releases in waves too.
 */
export function stepFunctionsSource(executions: StepFunctionsExecutions, stateMachineArn: string, releaseStateMachineArn?: () => Promise<string>): RecordSource {
  const finished = new Map<string, RecordSummary>();

  async function read(name: string): Promise<ViewerRecord | undefined> {
    const arn = executionArnFor(stateMachineArn, name);
    const info = await describeIfFound(executions, arn);
    if (!info) return undefined;
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
    ...(releaseStateMachineArn ? { releases: releasesOn(executions, stateMachineArn, releaseStateMachineArn) } : {}),
  };
}

/**
 * The release state machine's executions as the console's releases: each one's input gives its
 * waves and targets, its history how each target's canary ended (the fold `coalmine release --wait`
 * reports). A running release shows the waves it has not finished as not yet run.
 */
function releasesOn(executions: StepFunctionsExecutions, canaryStateMachineArn: string, releaseStateMachineArn: () => Promise<string>): NonNullable<RecordSource['releases']> {
  const finished = new Map<string, ReleaseListEntry>();

  async function read(name: string): Promise<ReleaseListEntry | undefined> {
    const arn = executionArnFor(await releaseStateMachineArn(), name);
    const known = finished.get(arn);
    if (known) return known;
    const info = await describeIfFound(executions, arn);
    if (!info) return undefined;
    const input = releaseInputOf(info.input);
    if (!input) return undefined;
    const { entries } = await executions.history(arn);
    const entry = releaseEntryOf(info, input, releaseResultOf(info, entries, input), canaryStateMachineArn);
    if (isFinished(info.status)) finished.set(arn, entry);
    return entry;
  }

  return {
    async list() {
      const all = await executions.list(await releaseStateMachineArn(), LIST_LIMIT);
      const entries: ReleaseListEntry[] = [];
      for (const execution of all) {
        const entry = await read(execution.name);
        if (entry) entries.push(entry);
      }
      return entries;
    },
    read,
  };
}

/** The release an execution was started with; undefined for an input that is not one. */
function releaseInputOf(text: string | undefined): ReleaseInput | undefined {
  const input = parse(text);
  if (!isObject(input) || typeof input['name'] !== 'string' || !Array.isArray(input['waves'])) return undefined;
  const waves = input['waves'] as unknown[];
  return waves.every((wave) => isObject(wave) && typeof wave['name'] === 'string' && Array.isArray(wave['targets'])) ? (input as unknown as ReleaseInput) : undefined;
}

function releaseEntryOf(info: ExecutionInfo, input: ReleaseInput, result: ReturnType<typeof releaseResultOf>, canaryStateMachineArn: string): ReleaseListEntry {
  const running = result.outcome === 'running';
  const firstOpen = result.waves.findIndex((wave) => wave.outcome === 'skipped');
  const waves = result.waves.map((wave, index) => ({
    name: wave.name,
    outcome: wave.outcome,
    targets: wave.targets.map(({ execution, ...target }) => {
      // Its canary's page here, when it ran on the state machine this console shows.
      const name = execution?.split(':').at(-1);
      const record = name && executionArnFor(canaryStateMachineArn, name) === execution ? { record: name } : {};
      const reason = running && target.outcome === 'skipped' ? (index === firstOpen ? 'running: its canary has not ended yet' : 'waits for the waves before it') : target.reason;
      return { ...target, ...(execution ? { execution } : {}), ...record, reason };
    }),
  }));
  return {
    id: info.name,
    name: input.name,
    onFailure: input.onFailure,
    recordedAt: info.stoppedAt ?? info.startedAt,
    consoleUrl: result.consoleUrl,
    result: {
      outcome: result.outcome,
      rollbackKind: result.rollbackKind,
      ...(result.errorName ? { errorName: result.errorName } : {}),
      reason: running ? `still running: ${waves.length} waves, ${firstOpen === -1 ? 'the last' : `wave ${firstOpen + 1}`} under way` : result.reason,
      waves,
    },
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

/** The execution as DescribeExecution reports it; undefined when there is none by that ARN. */
async function describeIfFound(executions: StepFunctionsExecutions, arn: string): Promise<ExecutionInfo | undefined> {
  try {
    return await executions.describe(arn);
  } catch (error) {
    if (error instanceof ExecutionNotFoundError) return undefined;
    throw error;
  }
}
