/**
 * The local runner: one canary, end to end, on the simulated account, through the real
 * statemachine/canary.asl.json executed by aws-local-stepfunctions. Each Lambda Task runs the same
 * step code as the deployed handlers (`createSteps` over the account's ports); Wait states take no
 * time, and the simulated clock jumps to where they would have ended instead.
 *
 * @example
 * const result = await runLocal({ scenario: loadScenario('error-3x'), seed: 1 });
 * result.outcome; // 'rolled-back'
 */
import '../polyfills.ts';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { assess, type Judge } from '../core/judge/index.ts';
import type { Ports } from '../core/ports.ts';
import { canaryStateSchema, RESTORED_ERROR, ROLLBACK_ERRORS, rollbackKindOfError, type CanaryState, type PlannedForecast } from '../core/state.ts';
import { causeMessage, createRegionalSteps, type Steps } from '../core/steps/index.ts';
import { createSimAccount, type PutEventsEntry, type SimAccount, type SimAccountSettings } from '../sim/account/index.ts';
import type { Scenario } from '../sim/scenario.ts';
import { DEFINITION_PATH, prepareDefinition, type LocalDefinition, type StepName, type TaskKind, type WaitDefinition } from './definition.ts';
import { localExecutionName } from './names.ts';
import { RecordedEvents, type ExecutionEvent, type ExecutionRecord, type RunResult, type RunStep } from './record.ts';
import { round } from '../core/round.ts';

/** The region the local Coalmine runs in. */
export const LOCAL_REGION = 'us-east-1';
const ACCOUNT_ID = '123456789012';
/** The canary state machine's name locally (src/local/definition.ts names its executions' ARN prefix alike). */
export const STATE_MACHINE_NAME = 'coalmine-canary';
/** What a run reports while it goes. */
export type ProgressEvent =
  | { type: 'started'; at: string; execution: string; scenario: string; seed: number; request: unknown }
  | { type: 'state'; event: ExecutionEvent }
  | { type: 'finished'; result: RunResult };

export interface RunLocalOptions {
  scenario: Scenario;
  seed: number;
  /** The execution's name (a release names its canaries); default: one made from the request and the seed. */
  executionName?: string;
  /** The state machine's input; default: a request for the scenario's function, alias and candidate, with its strategy and analysis. */
  request?: unknown;
  onEvent?: (event: ProgressEvent) => void;
  /** Write the execution record (default false). */
  record?: boolean;
  /** Where records go; default `.coalmine/executions` under the current directory. */
  recordDir?: string;
  /** An account prepared beforehand (fault injection); default: a fresh one for the scenario and seed. */
  account?: SimAccount;
  /** The judge the Evaluate step asks; default: Coalmine's. */
  judge?: Judge;
  /**
   * The ports of each region a step's payload names (src/core/regions.ts); default: the account's,
   * whatever the region. A release hands each target's canary its own region's account.
   */
  portsIn?: (region: string | undefined) => Ports;
  /** Replace the step code (tests); default: `createRegionalSteps(portsIn, { judge })`. */
  steps?: (ports: Ports) => Steps;
  /** ASL text to run; default: statemachine/canary.asl.json. */
  definition?: string;
  /**
   * Stops the execution when it aborts, as StopExecution (or the execution's timeout) would: no Catch
   * runs, and the run fails with `ExecutionAbortedError`. Fault tests use it for aborted and timed-out executions.
   */
  signal?: AbortSignal;
  /**
   * How a person answers the canary's wait for approval (`approval: "before-promote"`): `yes`
   * (the default, as `run --local --approve yes`), `no`, or a function asked at each wait, which may
   * also let the wait run out (`wait`: a minute passes and the judge looks again).
   */
  approve?: 'yes' | 'no' | LocalApprover;
}

/** Asked at each wait for approval, with the event the wait published and the account. */
export type LocalApprover = (wait: { detail: unknown; account: SimAccount }) => 'yes' | 'no' | 'wait';

const TASK_TIMEOUT = 'States.Timeout';
/** A wait for approval lasts this long before the canary looks again (the Task's TimeoutSeconds). */
const APPROVAL_WAIT_SECONDS = 60;

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<StateMachine['run']>[0];

/**
 * Runs one canary locally and returns the `run --json` object.
 * Never throws for a failed canary: a failed execution is an outcome (`failed`, with `errorName`).
 */
export async function runLocal(options: RunLocalOptions): Promise<RunResult> {
  const { scenario, seed } = options;
  const account = options.account ?? createSimAccount(scenario, { seed });
  const request = options.request === undefined ? defaultRequest(scenario, account.settings) : options.request;
  const executionName = options.executionName ?? localExecutionName(nameParts(request, account.settings), seed);
  const { local, machine } = loadMachine(options.definition);
  const steps = options.steps ? options.steps(account.ports) : createRegionalSteps(options.portsIn ?? (() => account.ports), { judge: options.judge ?? assess });
  const startedAt = account.clock.now().toISOString();

  // Only a run that writes its record keeps its events.
  const recorded = options.record ? new RecordedEvents((state) => isStep(local, state, 'evaluate')) : undefined;
  const trace = new ExecutionTrace(account, local, options.onEvent, recorded);
  options.onEvent?.({ type: 'started', at: startedAt, execution: executionName, scenario: scenario.name, seed, request });

  const executionArn = `arn:aws:states:${LOCAL_REGION}:${ACCOUNT_ID}:execution:${STATE_MACHINE_NAME}:${executionName}`;
  account.recordExecution({ executionArn, status: 'RUNNING', input: JSON.stringify(request ?? null) });
  const execution = machine.run(toJson(request), {
    overrides: {
      taskResourceLocalHandlers: taskHandlers(local, steps, account, options.approve ?? 'yes'),
      waitTimeOverrides: Object.fromEntries([...local.waits.keys()].map((name) => [name, 0])),
      retryIntervalOverrides: Object.fromEntries(local.retrying.map((name) => [name, 0])),
    },
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        Input: toJson(request),
        StartTime: startedAt,
        RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${STATE_MACHINE_NAME}-role`,
      },
      StateMachine: { Id: `arn:aws:states:${LOCAL_REGION}:${ACCOUNT_ID}:stateMachine:${STATE_MACHINE_NAME}`, Name: STATE_MACHINE_NAME },
      // Step Functions gives each wait for a callback its own token; locally the runner answers for the person.
      Task: { Token: `local-task-token-${executionName}` },
    },
  });
  // StopExecution: Step Functions records the execution as ABORTED at once, while its Lambdas may still run.
  const stopped = () => {
    account.recordExecution({ executionArn, status: 'ABORTED' });
    execution.abort();
  };
  if (options.signal?.aborted) stopped();
  else options.signal?.addEventListener('abort', stopped, { once: true });
  const reading = trace.read(execution.eventLogs);

  let output: unknown;
  let failure: { name: string; cause: string } | undefined;
  try {
    output = await execution.result;
  } catch (error) {
    failure = executionFailure(error);
  }
  await reading;
  const finishedAt = account.clock.now().toISOString();
  account.recordExecution({ executionArn, status: options.signal?.aborted ? 'ABORTED' : failure ? 'FAILED' : 'SUCCEEDED' });

  // The benchmark counts harm to the horizon, so the traffic keeps running after the decision.
  account.runToHorizon();

  const result = summarise({ account, executionName, output, failure, trace });
  if (options.record) {
    const path = writeRecord(options.recordDir ?? join(process.cwd(), '.coalmine', 'executions'), {
      name: executionName,
      scenario: { name: scenario.name, description: scenario.description, ...(scenario.expect ? { expect: scenario.expect } : {}) },
      seed,
      request,
      startedAt,
      finishedAt,
      recordedAt: new Date().toISOString(),
      result,
      definition: local.definition,
      events: recorded!.events,
      series: account.series(),
    });
    result.record = path;
  }
  options.onEvent?.({ type: 'finished', result });
  return result;
}

const machines = new Map<string, { local: LocalDefinition; machine: StateMachine }>();

/**
 * The definition, prepared and validated once per text: validating the ASL costs far more than
 * running it, and one StateMachine runs any number of independent executions.
 */
function loadMachine(text: string | undefined): { local: LocalDefinition; machine: StateMachine } {
  // Keyed by the text itself, so an edited canary.asl.json is never run from a stale copy.
  const source = text ?? readFileSync(DEFINITION_PATH, 'utf8');
  let loaded = machines.get(source);
  if (!loaded) {
    const local = prepareDefinition(source);
    const machine = new StateMachine(local.definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false, checkPaths: true } });
    loaded = { local, machine };
    machines.set(source, loaded);
  }
  return loaded;
}

/** The request `coalmine run --local` sends when none is given: the scenario's function, its strategy and analysis. */
export function defaultRequest(scenario: Scenario, settings: SimAccountSettings): Record<string, unknown> {
  return {
    functionName: settings.functionName,
    alias: settings.alias,
    candidateVersion: settings.candidateVersion,
    ...(scenario.strategy === undefined ? {} : { strategy: scenario.strategy }),
    ...(scenario.analysis === undefined ? {} : { analysis: scenario.analysis }),
  };
}

/** Task state name → the local function that stands in for its resource. */
function taskHandlers(local: LocalDefinition, steps: Steps, account: SimAccount, approve: 'yes' | 'no' | LocalApprover): LocalHandlers {
  const handlers: LocalHandlers = {};
  for (const [stateName, task] of local.tasks) {
    handlers[stateName] = (input) => runTask(task, input, steps, account, approve);
  }
  return handlers;
}

async function runTask(task: TaskKind, input: unknown, steps: Steps, account: SimAccount, approve: 'yes' | 'no' | LocalApprover): Promise<JsonValue> {
  // The engine calls us right after it logged entering the state; let the trace read every event so
  // far (and move the clock past any Wait) before the step looks at the clock.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (task.kind === 'approval') return answerApproval(input, account, approve);
  if (task.kind === 'putEvents') {
    const entries = (input as { Entries?: PutEventsEntry[] } | null)?.Entries ?? [];
    try {
      return toJson(await account.putEvents(entries));
    } catch (error) {
      throw asTaskError(error);
    }
  }
  if (task.kind === 'startQuery' || task.kind === 'getQueryResults') {
    try {
      const params = JSON.parse(JSON.stringify(input ?? {})) as Record<string, unknown>;
      return toJson(task.kind === 'startQuery' ? await account.logs.startQuery(params) : await account.logs.getQueryResults(params));
    } catch (error) {
      throw asTaskError(error);
    }
  }
  if (task.kind === 'describeAlarms') {
    try {
      return toJson(await describeAlarms(account, input));
    } catch (error) {
      throw asTaskError(error);
    }
  }
  const payload = (input as { Payload?: unknown } | null)?.Payload;
  try {
    // Like Lambda, the step sees JSON and returns JSON: nothing but data crosses.
    const result = await steps[task.step](JSON.parse(JSON.stringify(payload ?? null)));
    return { ExecutedVersion: '$LATEST', Payload: toJson(result), StatusCode: 200 };
  } catch (error) {
    throw asLambdaError(error);
  }
}

/**
 * The wait for approval, as Step Functions and a person would play it: the event (with its token) is
 * published, then the answer comes as `coalmine approve` (SendTaskSuccess), `coalmine reject`
 * (SendTaskFailure) or not at all (the Task times out after its minute).
 */
async function answerApproval(input: unknown, account: SimAccount, approve: 'yes' | 'no' | LocalApprover): Promise<JsonValue> {
  const entries = (input as { Entries?: PutEventsEntry[] } | null)?.Entries ?? [];
  const detail = entries[0]?.Detail;
  const timedOut = (error: Error) => {
    // The Task's minute ran out (TimeoutSeconds): the simulated clock moves on by it.
    account.advanceTo(new Date(account.clock.now().getTime() + APPROVAL_WAIT_SECONDS * 1000));
    return error;
  };
  try {
    await account.putEvents(entries);
  } catch (error) {
    const failed = asTaskError(error);
    throw failed.name === TASK_TIMEOUT ? timedOut(failed) : failed;
  }
  const answer = typeof approve === 'function' ? approve({ detail, account }) : approve;
  if (answer === 'yes') return { by: typeof approve === 'function' ? 'a local approver' : 'the local run (--approve yes)' };
  if (answer === 'no') {
    const rejected = new Error(`rejected by ${typeof approve === 'function' ? 'a local approver' : 'the local run (--approve no)'}`);
    rejected.name = ROLLBACK_ERRORS.rejected;
    throw rejected;
  }
  const unanswered = new Error('Task timed out waiting for approval');
  unanswered.name = TASK_TIMEOUT;
  throw timedOut(unanswered);
}

/**
 * A step's error as Step Functions sees a Lambda function error: `Error` is the error's name (so
 * Retry and Catch match `ThrottledError`, `AliasChangedError`…), `Cause` the JSON Lambda's Node.js
 * runtime reports. No `cause` is kept on it: aws-local-stepfunctions would report that instead.
 */
export function asLambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const lambdaError = new Error(JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
  lambdaError.name = name;
  return lambdaError;
}

/**
 * CloudWatch's DescribeAlarms as the service integration answers it, over the simulated account's
 * alarms (every one a metric alarm): the named alarms, only those in `StateValue` when it is given.
 */
async function describeAlarms(account: SimAccount, input: unknown): Promise<{ MetricAlarms: { AlarmName: string; StateValue: string }[]; CompositeAlarms: [] }> {
  const { AlarmNames = [], StateValue } = (input ?? {}) as { AlarmNames?: string[]; StateValue?: string };
  const states = await account.ports.alarms.states(AlarmNames);
  const described = Object.entries(states).filter(([, state]) => StateValue === undefined || state === StateValue);
  return { MetricAlarms: described.map(([AlarmName, state]) => ({ AlarmName, StateValue: state })), CompositeAlarms: [] };
}

function asTaskError(error: unknown): Error {
  const plain = new Error(error instanceof Error ? error.message : String(error));
  plain.name = error instanceof Error ? error.name : 'Error';
  return plain;
}

function executionFailure(error: unknown): { name: string; cause: string } {
  // ExecutionError wraps what failed the execution (a Fail state's Error and Cause, or an uncaught error).
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (inner instanceof Error) return { name: inner.name, cause: inner.message };
  return { name: 'Error', cause: String(inner) };
}

/**
 * Reads the execution's event log as it is written: keeps every event at its simulated time, moves
 * the clock when a Wait state ends, and turns evaluations into steps and progress events.
 */
class ExecutionTrace {
  readonly steps: RunStep[] = [];
  /** Simulated time the execution decided to promote or roll back (the Promote or Rollback task began). */
  decidedAt: Date | undefined;
  /** What Plan forecast, before any traffic moved. */
  forecast: RunResult['forecast'];
  private lastCaught: string | undefined;

  constructor(
    private readonly account: SimAccount,
    private readonly local: LocalDefinition,
    private readonly onEvent: ((event: ProgressEvent) => void) | undefined,
    private readonly recorded: RecordedEvents | undefined,
  ) {}

  async read(logs: AsyncGenerator<EventLog>): Promise<void> {
    // Everything here is synchronous per event: the task handlers rely on the trace having caught up
    // by the time a macrotask runs.
    for await (const log of logs) this.take(log);
  }

  private take(log: EventLog): void {
    if ('state' in log && log.type === 'StateExited') {
      const wait = this.local.waits.get(log.state.name);
      if (wait) this.account.advanceTo(waitEnd(wait, log.state.input, this.account.clock.now()));
    }
    const event: ExecutionEvent = { at: this.account.clock.now().toISOString(), type: log.type };
    if ('state' in log) {
      event.state = log.state.name;
      if (log.type === 'StateEntered') event.input = log.state.input;
      // The input is in the StateEntered before it.
      if (log.type === 'StateExited') event.output = log.state.output;
    }
    if ('Error' in log) {
      event.error = log.Error;
      event.cause = typeof log.Cause === 'string' ? log.Cause : JSON.stringify(log.Cause);
    }
    if (log.type === 'ExecutionStarted') event.input = log.input;
    if (log.type === 'ExecutionSucceeded') event.output = log.output;
    this.recorded?.add(event);
    this.onEvent?.({ type: 'state', event });

    if (!('state' in log)) return;
    const task = this.local.tasks.get(log.state.name);
    if (log.type === 'StateCaught') this.lastCaught = log.state.name;
    if (log.type === 'StateEntered' && task?.kind === 'lambda' && (task.step === 'promote' || task.step === 'rollback')) {
      this.decidedAt ??= this.account.clock.now();
    }
    // A regression found after promotion is decided when the stable version is restored.
    if (log.type === 'StateEntered' && task?.kind === 'lambda' && task.step === 'restore') this.decidedAt = this.account.clock.now();
    if (log.type === 'StateExited' && task?.kind === 'lambda' && task.step === 'plan') {
      const planned = canaryStateSchema.safeParse(log.state.output);
      if (planned.success && planned.data.plan.forecast) this.forecast = planned.data.plan.forecast as PlannedForecast;
    }
    if (log.type === 'StateExited' && task?.kind === 'lambda' && task.step === 'evaluate') {
      const caught = this.lastCaught === log.state.name;
      this.lastCaught = undefined;
      if (!caught) this.evaluated(log.state.input, log.state.output, event.at);
    } else if (log.type === 'StateExited') {
      this.lastCaught = undefined;
    }
  }

  private evaluated(input: unknown, output: unknown, at: string): void {
    const before = canaryStateSchema.safeParse(input);
    const after = canaryStateSchema.safeParse(output);
    if (!before.success || !after.success) return;
    const state: CanaryState = after.data;
    const firstShift = this.account.firstShiftAt();
    const minute = firstShift ? round((Date.parse(at) - firstShift.getTime()) / 60_000, 2) : 0;
    const step: RunStep = {
      weight: before.data.progress.weight,
      minute,
      decision: state.progress.decision,
      ...(state.verdict?.rollbackKind ? { rollbackKind: state.verdict.rollbackKind } : {}),
      reasons: state.verdict?.reasons ?? [],
      checks: state.verdict?.checks ?? [],
    };
    this.steps.push(step);
  }
}

/** Whether the state is the Lambda Task that runs this step. */
function isStep(local: LocalDefinition, state: string, step: StepName): boolean {
  const task = local.tasks.get(state);
  return task?.kind === 'lambda' && task.step === step;
}

/** When a Wait state would have ended, had it waited (never before `now`). */
function waitEnd(wait: WaitDefinition, input: unknown, now: Date): Date {
  let end: number | undefined;
  if (wait.Seconds !== undefined) end = now.getTime() + wait.Seconds * 1000;
  if (wait.SecondsPath) {
    const seconds = readPath(input, wait.SecondsPath);
    if (typeof seconds === 'number') end = now.getTime() + seconds * 1000;
  }
  if (wait.Timestamp) end = Date.parse(wait.Timestamp);
  if (wait.TimestampPath) {
    const timestamp = readPath(input, wait.TimestampPath);
    if (typeof timestamp === 'string') end = Date.parse(timestamp);
  }
  return end === undefined || Number.isNaN(end) || end < now.getTime() ? now : new Date(end);
}

/** `$.a.b.c` only: the paths Wait states use. */
function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function summarise(input: {
  account: SimAccount;
  executionName: string;
  output: unknown;
  failure: { name: string; cause: string } | undefined;
  trace: ExecutionTrace;
}): RunResult {
  const { account, executionName, output, failure, trace } = input;
  const alias = account.aliasNow();
  const firstShift = account.firstShiftAt();
  const outcomeOf = (value: unknown) => (value as { outcome?: { result?: string; reason?: string } } | null)?.outcome;
  let outcome: RunResult['outcome'];
  let rollbackKind: RunResult['rollbackKind'] = null;
  let reason: string;
  const judgedRollback = rollbackKindOfError(failure?.name);
  if (!failure) {
    const ended = outcomeOf(output);
    const skipped = (output as { skipped?: unknown; status?: unknown } | null)?.skipped === true;
    outcome = ended?.result === 'promoted' ? 'promoted' : 'failed';
    reason = ended?.reason ?? (skipped ? String((output as { status?: unknown }).status) : 'the execution succeeded without promoting');
  } else if (judgedRollback) {
    outcome = 'rolled-back';
    rollbackKind = judgedRollback;
    reason = failure.cause || 'rolled back';
  } else {
    // Every Fail state but the judged ones is reached through "Roll back after an error".
    outcome = 'failed';
    rollbackKind = 'error';
    reason = `${failure.name}: ${causeMessage(failure.cause)}`;
  }
  const queue = account.queueSummary();
  return {
    outcome,
    rollbackKind,
    reason,
    ...(failure?.name === RESTORED_ERROR ? { restoredAfterPromotion: true as const } : {}),
    steps: trace.steps,
    alias: { version: alias.version, routing: { ...alias.weights } },
    excessFailures: account.excessFailures(),
    minutesToDecision: firstShift && trace.decidedAt ? round((trace.decidedAt.getTime() - firstShift.getTime()) / 60_000, 2) : null,
    ...(trace.forecast ? { forecast: trace.forecast } : {}),
    ...(queue ? { queue } : {}),
    ...(failure ? { errorName: failure.name } : {}),
    execution: executionName,
  };
}

function nameParts(request: unknown, settings: SimAccountSettings): { functionName: string; alias: string; candidateVersion: string } {
  const fields = (request ?? {}) as Record<string, unknown>;
  const text = (value: unknown, fallback: string) => (typeof value === 'string' || typeof value === 'number' ? String(value) : fallback);
  return {
    functionName: text(fields['functionName'], settings.functionName),
    alias: text(fields['alias'], settings.alias),
    candidateVersion: text(fields['candidateVersion'], settings.candidateVersion),
  };
}

function writeRecord(dir: string, record: ExecutionRecord): string {
  mkdirSync(dir, { recursive: true });
  const stamp = record.recordedAt.replace(/[-:.]/g, '');
  const path = resolve(dir, `${record.name}-${stamp}.json`);
  // Unindented: indenting the looks' figures would more than double the file.
  writeFileSync(path, `${JSON.stringify(record)}\n`);
  return path;
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}
