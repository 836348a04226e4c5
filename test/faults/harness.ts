/**
 * Fault injection on the real statemachine/canary.asl.json, run locally over the simulated account.
 * A fault is aimed at one Task state: it acts only while the execution is in that state (the
 * runner's trace says which state was entered last, and a Task's code runs after its StateEntered
 * has been read). After the execution ends, what EventBridge would do is done too: an execution
 * that did not succeed sends "Step Functions Execution Status Change" to Cleanup.
 */
import { assess } from '../../src/core/judge/index.ts';
import { AccessDeniedError, ThrottledError, TransientServiceError } from '../../src/core/errors.ts';
import { readOwnerMark } from '../../src/core/ownership.ts';
import type { AliasState, Ports } from '../../src/core/ports.ts';
import { createSteps, type CleanupResult, type Steps } from '../../src/core/steps/index.ts';
import { prepareDefinition, type TaskKind } from '../../src/local/definition.ts';
import type { ExecutionEvent, RunResult } from '../../src/local/record.ts';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount, type SimAccount } from '../../src/sim/account/index.ts';
import { SIM_CALLS, type SimCall } from '../../src/sim/faults.ts';
import { parseScenario, type Scenario } from '../../src/sim/scenario.ts';

export const FAULT_KINDS = [
  'throttled',
  'service error',
  'timeout',
  'access denied',
  'alias changed by someone else',
  'execution aborted',
  'execution timed out',
  'missing metrics',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Which way through the state machine reaches a Task state ('restore': promoted, then a regression found after promotion). */
export type Path = 'promote' | 'rollback' | 'error' | 'restore';

/**
 * The way to each Task state of the ASL. A Task state missing here fails the suite, so a state
 * added to the workflow cannot go untested.
 */
export const PATH_TO: Readonly<Record<string, Path>> = {
  'Plan the canary': 'promote',
  'Check the candidate before traffic': 'promote',
  'Shift traffic': 'promote',
  'Start the cold-start query': 'promote',
  'Read the cold-start query': 'promote',
  'Read the alarms': 'promote',
  'Evaluate the canary': 'promote',
  // Reached when the request asks for approval (runWithFault asks when one of these is under test).
  'Announce the wait for approval': 'promote',
  'Wait for approval': 'promote',
  'Promote the candidate': 'promote',
  'Judge the promoted version': 'promote',
  'Restore the stable version': 'restore',
  'Announce the promotion': 'promote',
  'Roll back': 'rollback',
  'Announce the rollback': 'rollback',
  'Roll back after an error': 'error',
  'Announce the failure': 'error',
  'Redrive dead letters': 'rollback',
};

/** States that only a canary judged after promotion (`postPromotionMinutes`) reaches. */
export const AFTER_PROMOTION_STATES: ReadonlySet<string> = new Set(['Judge the promoted version', 'Restore the stable version']);
/** How long the canaries that reach them are judged after promotion. */
export const POST_PROMOTION_MINUTES = 10;

/** States that only an SQS-triggered canary reaches. */
export const SQS_ONLY_STATES: ReadonlySet<string> = new Set(['Redrive dead letters']);

/** The state the "error" path fails in, and with what, to reach "Roll back after an error". */
export const PRIMARY_ERROR = { state: 'Evaluate the canary', name: 'AccessDeniedError', message: 'not authorized to perform: lambda:GetAlias (primary error)' } as const;

export const DEFINITION = prepareDefinition();
export const TASK_STATES = [...DEFINITION.tasks.keys()];

export const ORIGINAL_DESCRIPTION = 'checkout production alias';
export const STABLE = '12';
export const CANDIDATE = '13';
/** What "someone else" points the alias at by hand: an older version, no routing (a hot-fix pin). */
export const THEIR_CHANGE = { version: '11', weights: {} } as const;
export const STRATEGY = { steps: [20, 50], intervalMinutes: 1 } as const;

const REGION = 'us-east-1';
const ACCOUNT_ID = '123456789012';
const STATE_MACHINE = 'coalmine-canary';

/** A short canary that the real judge promotes in two looks, or (bad candidate) rolls back at the first. */
export function scenarioFor(path: Path, trigger: Trigger = 'api'): Scenario {
  return parseScenario(
    {
      name: `faults-${path}-${trigger}`,
      minutes: 20,
      ...(trigger === 'sqs'
        ? { trigger, queue: { messagesPerMinute: 1200, batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 3 } }
        : { traffic: { requestsPerMinute: 6000 } }),
      stable: { errorRate: 0.001, latencyMs: { median: 80, p99: 400 } },
      // The rollback path: half the candidate's requests fail, a guardrail rolls back at once.
      ...(path === 'rollback' ? { candidate: { errorRate: 0.5, latencyMs: { median: 80, p99: 400 } } } : {}),
      // The restore path: the candidate is promoted (about minute 4), then half its requests fail.
      ...(path === 'restore' ? { candidate: { errorRate: 0.5, latencyMs: { median: 80, p99: 400 }, fromMinute: 6 } } : {}),
      strategy: STRATEGY,
      analysis: { maxExtensionMinutes: 3 },
      account: { description: ORIGINAL_DESCRIPTION },
    },
    `faults-${path}.json`,
  );
}

export type Trigger = 'api' | 'sqs';

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface FaultRun {
  account: SimAccount;
  /** The execution's input. */
  request: Record<string, unknown>;
  state: string;
  fault: FaultKind;
  path: Path;
  result: RunResult;
  events: ExecutionEvent[];
  status: ExecutionStatus;
  /** The alias when the execution had ended, before Cleanup. */
  aliasAtEnd: AliasState;
  /** The alias after Cleanup (the same when the execution succeeded). */
  alias: AliasState;
  cleanup?: CleanupResult;
  /** How many times the fault acted. */
  injected: number;
  /** The alias as the other party left it, when someone else changed it. */
  theirs?: AliasState;
  /** The input of the state the execution ended in (Succeed or Fail): what the console shows last. */
  finalInput: Record<string, unknown> | undefined;
}

/** Errors as the AWS adapters name them (src/aws/errors.ts), and a Lambda timeout as Step Functions reports it. */
const ERRORS = {
  throttled: () => new ThrottledError('Rate exceeded (TooManyRequestsException, injected)'),
  'service error': () => new TransientServiceError('ServiceException: Lambda was unable to process the request (injected 5xx)'),
  'access denied': () => new AccessDeniedError('not authorized to perform this action (injected AccessDenied)'),
} as const;

export const INJECTED_MESSAGE: Partial<Record<FaultKind, RegExp>> = {
  throttled: /Rate exceeded/,
  'service error': /ServiceException/,
  'access denied': /injected AccessDenied/,
  timeout: /timed out/i,
  'alias changed by someone else': /changed|RevisionId/,
};

export const INJECTED_NAME: Partial<Record<FaultKind, string>> = {
  throttled: 'ThrottledError',
  'service error': 'TransientServiceError',
  'access denied': 'AccessDeniedError',
  'alias changed by someone else': 'AliasChangedError',
};

/** A Lambda Task whose function timed out: Step Functions' error name. Service integrations time out as States.Timeout. */
export const LAMBDA_TIMEOUT = 'Sandbox.Timedout';
export const TASK_TIMEOUT = 'States.Timeout';

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export function timeoutNameFor(state: string): string {
  return DEFINITION.tasks.get(state)?.kind === 'lambda' ? LAMBDA_TIMEOUT : TASK_TIMEOUT;
}

/** The call a Task state makes through a Step Functions service integration (not a Lambda of Coalmine's). */
function integrationCall(task: TaskKind): SimCall | undefined {
  // The wait for approval publishes its token with PutEvents before it waits.
  if (task.kind === 'putEvents' || task.kind === 'approval') return 'events.putEvents';
  if (task.kind === 'startQuery') return 'logs.startQuery';
  if (task.kind === 'getQueryResults') return 'logs.getQueryResults';
  if (task.kind === 'describeAlarms') return 'alarms.states';
  return undefined;
}

/** The cold-start query's states: what fails there is a measurement failure, never the execution's. */
const isQuery = (task: TaskKind): boolean => task.kind === 'startQuery' || task.kind === 'getQueryResults';

/** The alarm a canary under test gates on when the state under test reads the alarms. */
export const GATE_ALARM = 'checkout-5xx';

/** The ARN of a local execution of `name`. */
export function executionArnOf(name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:${STATE_MACHINE}:${name}`;
}

/** The status-change event EventBridge delivers for an execution (shape from the Step Functions docs). */
export function statusChangeEvent(name: string, status: Exclude<ExecutionStatus, 'SUCCEEDED'>, input: unknown, at: Date): Record<string, unknown> {
  const executionArn = executionArnOf(name);
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT_ID,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:${STATE_MACHINE}`,
      name,
      status,
      startDate: at.getTime() - 60_000,
      stopDate: at.getTime(),
      input: JSON.stringify(input),
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: status === 'FAILED' ? 'States.TaskFailed' : null,
      cause: null,
    },
  };
}

/** The first call a state makes at the moment "someone else" races it: its alias write, else its first call. */
function raceCall(task: TaskKind): SimCall {
  const call = integrationCall(task);
  if (call) return call;
  if (task.kind !== 'lambda') throw new Error(`no call to race in a ${task.kind} task`);
  if (task.step === 'redrive') return 'queues.redrive';
  return task.step === 'evaluate' || task.step === 'preTraffic' ? 'router.getAlias' : 'router.updateAlias';
}

export interface RunWithFaultOptions {
  state: string;
  fault: FaultKind;
  seed?: number;
  /** An SQS-triggered function instead of a request-driven one. */
  trigger?: Trigger;
  /** Error faults: fail only these calls of the state (default: every call it makes). */
  calls?: readonly SimCall[];
  /** Leave the status change undelivered, for a test that delivers it to Cleanup itself. */
  withoutCleanup?: boolean;
}

/**
 * Runs one canary through the real ASL with `fault` aimed at `state`, then delivers the status
 * change to Cleanup when the execution did not succeed.
 */
export async function runWithFault({ state, fault, seed = 1, trigger = SQS_ONLY_STATES.has(state) ? 'sqs' : 'api', calls = SIM_CALLS, withoutCleanup = false }: RunWithFaultOptions): Promise<FaultRun> {
  const task = DEFINITION.tasks.get(state);
  const path = PATH_TO[state];
  if (!task || !path) throw new Error(`no way to reach Task state "${state}": add it to PATH_TO`);
  const scenario = scenarioFor(path, trigger);
  const account = createSimAccount(scenario, { seed });
  const stop = new AbortController();
  const events: ExecutionEvent[] = [];
  let current: string | undefined;
  let injected = 0;
  let theirs: AliasState | undefined;

  const inTarget = () => current === state;
  const onEvent = (event: Parameters<NonNullable<Parameters<typeof runLocal>[0]['onEvent']>>[0]) => {
    if (event.type !== 'state') return;
    events.push(event.event);
    if (event.event.type !== 'StateEntered') return;
    current = event.event.state;
    if (fault === 'missing metrics' && current === state) {
      injected++;
      // From now on CloudWatch has no datapoints and its queries fail (Plan: the baseline too).
      account.faults.dropMetrics(task.kind === 'lambda' && task.step === 'plan' ? '1970-01-01T00:00:00.000Z' : account.clock.now().toISOString());
      account.faults.failMetrics({ message: 'CloudWatch GetMetricData: no datapoints returned (injected)' });
    }
  };

  if (path === 'error') {
    account.faults.before('router.getAlias', () => {
      if (current === PRIMARY_ERROR.state) throw new AccessDeniedError(PRIMARY_ERROR.message);
    });
  }
  installFault(account, task, fault, calls, inTarget, stop, {
    injected: () => injected++,
    theirs: (alias) => (theirs = alias),
  });

  const wrap = (ports: Ports): Steps => {
    const real = createSteps(ports, { judge: assess });
    const around = <K extends Exclude<keyof Steps, 'cleanup'>>(step: K) =>
      (async (payload: unknown) => {
        const here = inTarget();
        if (here && fault === 'execution timed out') {
          // The execution's time ran out as it entered this state: its Lambda never runs.
          injected++;
          stop.abort();
          throw namedError('States.Timeout', 'execution timed out before the task ran');
        }
        const output = await (real[step] as (payload: unknown) => Promise<unknown>)(payload);
        if (here && fault === 'execution aborted') {
          // StopExecution while the Lambda ran: its work is done, its answer goes nowhere.
          injected++;
          stop.abort();
        }
        if (here && fault === 'timeout') {
          // The function timed out after its work was done (the worst case: the answer is lost).
          injected++;
          throw namedError(LAMBDA_TIMEOUT, 'Task timed out after 60.00 seconds (injected)');
        }
        return output;
      }) as Steps[K];
    return { ...real, plan: around('plan'), preTraffic: around('preTraffic'), shift: around('shift'), evaluate: around('evaluate'), promote: around('promote'), rollback: around('rollback'), restore: around('restore'), redrive: around('redrive') };
  };

  const request = {
    functionName: account.settings.functionName,
    alias: account.settings.alias,
    candidateVersion: CANDIDATE,
    strategy: STRATEGY,
    analysis: { maxExtensionMinutes: 3 },
    // The check before traffic runs only when asked for: ask for it when it is the state under test.
    ...(task.kind === 'lambda' && task.step === 'preTraffic' ? { preTraffic: { smokeEvents: [{ path: '/health' }] } } : {}),
    // Likewise the wait for approval (the local run approves it at once).
    ...(task.kind === 'approval' || state === 'Announce the wait for approval' ? { approval: 'before-promote' } : {}),
    // Alarms are read only for a canary with alarm gates, and a promoted version judged only when asked for.
    ...(task.kind === 'describeAlarms' ? { gates: { alarms: [GATE_ALARM] } } : {}),
    ...(AFTER_PROMOTION_STATES.has(state) ? { postPromotionMinutes: POST_PROMOTION_MINUTES } : {}),
  };
  if (task.kind === 'describeAlarms') account.setAlarm(GATE_ALARM, 'OK');
  const result = await runLocal({ scenario, seed, account, request, steps: wrap, onEvent, signal: stop.signal });
  current = undefined;
  const aliasAtEnd = account.aliasNow();

  const status: ExecutionStatus =
    result.errorName === 'ExecutionAbortedError' ? (fault === 'execution timed out' ? 'TIMED_OUT' : 'ABORTED') : result.outcome === 'promoted' ? 'SUCCEEDED' : 'FAILED';
  let cleanup: CleanupResult | undefined;
  // Step Functions' own record of how the execution ended, which Cleanup reads.
  account.recordExecution({ executionArn: executionArnOf(result.execution), status });
  if (status !== 'SUCCEEDED' && !withoutCleanup) {
    // The rule on "Step Functions Execution Status Change" (ABORTED, TIMED_OUT, FAILED) invokes Cleanup.
    cleanup = await createSteps(account.ports, { judge: assess, cleanup: { sleep: async () => {} } }).cleanup(statusChangeEvent(result.execution, status, request, account.clock.now()));
  }
  const terminal = [...events].reverse().find((event) => event.type === 'StateEntered');
  return {
    account,
    request,
    state,
    fault,
    path,
    result,
    events,
    status,
    aliasAtEnd,
    alias: account.aliasNow(),
    ...(cleanup ? { cleanup } : {}),
    injected,
    ...(theirs ? { theirs } : {}),
    finalInput: terminal?.input as Record<string, unknown> | undefined,
  };
}

function installFault(
  account: SimAccount,
  task: TaskKind,
  fault: FaultKind,
  calls: readonly SimCall[],
  inTarget: () => boolean,
  stop: AbortController,
  record: { injected: () => void; theirs: (alias: AliasState) => void },
): void {
  const { faults } = account;
  switch (fault) {
    case 'throttled':
    case 'service error':
    case 'access denied': {
      // Every call the state makes fails, on every attempt: retries run out.
      const make = ERRORS[fault];
      for (const call of calls) {
        faults.before(call, () => {
          if (!inTarget()) return;
          record.injected();
          throw make();
        });
      }
      return;
    }
    case 'timeout': {
      const call = integrationCall(task);
      if (call) {
        faults.before(call, () => {
          if (!inTarget()) return;
          record.injected();
          throw namedError(TASK_TIMEOUT, `${call} timed out (injected)`);
        });
      }
      return; // Lambda Tasks: the step wrapper throws after the work.
    }
    case 'alias changed by someone else': {
      let done = false;
      faults.before(raceCall(task), () => {
        if (done || !inTarget()) return;
        done = true;
        record.injected();
        record.theirs(account.changeAliasByHand(THEIR_CHANGE));
      });
      return;
    }
    case 'execution aborted':
    case 'execution timed out': {
      const call = integrationCall(task);
      if (call) {
        faults.before(call, () => {
          if (!inTarget()) return;
          record.injected();
          stop.abort();
          if (fault === 'execution timed out') throw namedError(TASK_TIMEOUT, 'execution timed out before the task ran');
        });
      }
      return; // Lambda Tasks: the step wrapper stops the execution.
    }
    case 'missing metrics':
      return; // Set when the state is entered (onEvent).
  }
}

/** What makes an end state safe. Returns the problems found; none means safe. */
export function safetyProblems(run: Pick<FaultRun, 'theirs' | 'result'>, alias: AliasState): string[] {
  const problems: string[] = [];
  if (Object.keys(alias.weights).length > 0) problems.push(`routing left on the alias: ${JSON.stringify(alias.weights)}`);
  const mark = readOwnerMark(alias.description);
  if (mark) problems.push(`alias still owned by ${mark.owner}`);
  if (alias.description !== ORIGINAL_DESCRIPTION) problems.push(`description not restored: "${alias.description}"`);
  if (run.theirs) {
    if (alias.version !== run.theirs.version) problems.push(`their change was overwritten: version ${alias.version}, they set ${run.theirs.version}`);
  } else {
    if (![STABLE, CANDIDATE].includes(alias.version)) problems.push(`alias on version ${alias.version}, neither stable nor candidate`);
    if (run.result.outcome === 'promoted' && alias.version !== CANDIDATE) problems.push(`promoted but the alias is on ${alias.version}`);
    if (run.result.outcome === 'rolled-back' && alias.version !== STABLE) problems.push(`rolled back but the alias is on ${alias.version}`);
  }
  return problems;
}

/** Where the cause must be named for a cell, and the problems found there. */
export function causeProblems(run: FaultRun): string[] {
  const { fault, state, result, cleanup, finalInput } = run;
  const task = DEFINITION.tasks.get(state)!;
  const isAnnounce = task.kind === 'putEvents';
  const isRollbackAfterError = state === 'Roll back after an error';
  const expectedName = fault === 'timeout' ? timeoutNameFor(state) : INJECTED_NAME[fault];
  const problems: string[] = [];
  // The wait for approval's announcement is followed by the wait, then Promote, which keeps only the
  // canary's state: its announceError is in the wait's input.
  const announcedWait = state === 'Announce the wait for approval' ? run.events.find((event) => event.type === 'StateEntered' && event.state === 'Wait for approval')?.input as Record<string, unknown> | undefined : undefined;
  const errorIn = (key: string) => (announcedWait ?? finalInput)?.[key] as { Error?: string; Cause?: string } | undefined;

  if (fault === 'execution aborted' || fault === 'execution timed out') {
    const word = fault === 'execution aborted' ? /aborted/i : /timed out/i;
    if (!cleanup) problems.push('no cleanup ran');
    else if (!word.test(cleanup.reason)) problems.push(`cleanup reason does not say the execution ${fault.slice('execution '.length)}: "${cleanup.reason}"`);
    return problems;
  }
  if (fault === 'missing metrics') {
    const step = task.kind === 'lambda' ? task.step : undefined;
    if (step === 'plan' || step === 'shift' || step === 'evaluate') {
      if (result.outcome !== 'rolled-back') problems.push(`promoted on missing metrics (${result.outcome})`);
      const reasons = (finalInput?.['verdict'] as { reasons?: string[] } | undefined)?.reasons ?? [];
      if (!reasons.some((reason) => /metrics missing/.test(reason))) problems.push(`the rollback's reasons do not say metrics are missing: ${JSON.stringify(reasons)}`);
    }
    return problems; // After the decision, metrics are not read again: nothing to name.
  }
  if (task.kind === 'approval' && fault === 'timeout') {
    // The wait's own timeout is nobody answering: the judge looks again, and the wait is bounded.
    if (result.rollbackKind !== 'inconclusive' || !/^no approval within/.test(result.reason)) problems.push(`an unanswered wait for approval ended ${result.outcome} (${result.rollbackKind}): "${result.reason}"`);
    return problems;
  }
  const isRedrive = state === 'Redrive dead letters';
  // Coalmine had let go of the alias before these states: a later change is not its business.
  if (fault === 'alias changed by someone else' && (isAnnounce || isRedrive)) return problems;

  const message = INJECTED_MESSAGE[fault]!;
  if (isQuery(task)) {
    if (fault === 'alias changed by someone else') return problems; // Evaluate, next, finds the change: the safety checks judge that.
    // A failed query is a measurement failure: the looks hold and say so, and the canary never promotes on it.
    const reasons = (finalInput?.['verdict'] as { reasons?: string[] } | undefined)?.reasons ?? [];
    if (result.outcome === 'promoted') problems.push('promoted while the cold-start query failed');
    if (!reasons.some((reason) => reason.includes(`the query for coldStarts failed (${expectedName}`) && message.test(reason))) problems.push(`the reasons do not name the failed query: ${JSON.stringify(reasons)}`);
  } else if (isAnnounce) {
    const error = errorIn('announceError');
    if (error?.Error !== expectedName) problems.push(`announceError is ${JSON.stringify(error)}, not ${expectedName}`);
  } else if (isRedrive) {
    // The alias is already restored: a failed redrive keeps the outcome and names itself.
    const error = errorIn('redriveError');
    if (!error || error.Error !== expectedName) problems.push(`redriveError is ${JSON.stringify(error)}, not ${expectedName}`);
    else if (!message.test(error.Cause ?? '')) problems.push(`redriveError's cause does not name it: ${error.Cause}`);
    if (result.outcome !== 'rolled-back') problems.push(`a failed redrive changed the outcome to ${result.outcome}`);
  } else if (isRollbackAfterError) {
    const error = errorIn('rollbackError');
    if (!error || error.Error !== expectedName) problems.push(`rollbackError is ${JSON.stringify(error)}, not ${expectedName}`);
    else if (!message.test(error.Cause ?? '')) problems.push(`rollbackError's cause does not name it: ${error.Cause}`);
    if (result.errorName !== PRIMARY_ERROR.name) problems.push(`the execution failed with ${result.errorName}, not the original ${PRIMARY_ERROR.name}`);
  } else {
    if (result.errorName !== expectedName) problems.push(`the execution failed with ${result.errorName}, not ${expectedName}`);
    if (!message.test(result.reason)) problems.push(`the reason does not name the cause: "${result.reason}"`);
  }
  return problems;
}

/** True when the state machine alone must leave the alias safe, without Cleanup's help. */
export function safeWithoutCleanup(run: Pick<FaultRun, 'fault' | 'state'>): boolean {
  return run.fault !== 'execution aborted' && run.fault !== 'execution timed out' && run.state !== 'Roll back after an error';
}
