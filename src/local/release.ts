/**
 * A release, end to end, on simulated accounts: the real statemachine/release.asl.json on
 * aws-local-stepfunctions, each target's canary through the real canary.asl.json (the local runner),
 * one simulated function per target, in the target's region, behaving as the target's scenario says.
 * The `.sync` canary Task stands in for StartExecution + DescribeExecution: it runs the canary, under
 * the name the release gives it, and hands back what Step Functions would (the execution's Output, or
 * States.TaskFailed with its error). Stopping a canary (StopExecution, or its wave's Map failing)
 * aborts its run, and Cleanup then runs as the canary's status rule would start it on AWS.
 *
 * @example
 * const result = await runLocalRelease({ release: parseRelease(json), seed: 1, scenarioOf: loadScenario });
 * result.outcome; // 'rolled-back'
 */
import '../polyfills.ts';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { targetKey, type Release, type ReleaseTargetInput } from '../core/release.ts';
import { InvalidRequestError } from '../core/errors.ts';
import type { Ports } from '../core/ports.ts';
import type { Ending, RollbackKind } from '../core/state.ts';
import { createRegionalSteps, type CleanupResult } from '../core/steps/index.ts';
import { createRestore } from '../core/steps/restore.ts';
import { assess } from '../core/judge/index.ts';
import { createSimAccount, type PutEventsEntry, type SimAccount } from '../sim/account/index.ts';
import type { Scenario } from '../sim/scenario.ts';
import { EVENTS_PUT_EVENTS, LAMBDA_INVOKE, substituteValue, type AslDefinition } from './definition.ts';
import { asLambdaError, LOCAL_REGION, runLocal } from './runner.ts';
import type { RunResult } from './record.ts';
import { packageFile } from '../package-files.ts';

export const RELEASE_DEFINITION_PATH = packageFile('statemachine', 'release.asl.json');
export const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';
const STOP_EXECUTION = 'arn:aws:states:::aws-sdk:sfn:stopExecution';
const DESCRIBE_EXECUTION = 'arn:aws:states:::aws-sdk:sfn:describeExecution';

/** A wave ends as its canaries did, or is skipped when the release stopped before it. */
export type WaveOutcome = Ending | 'skipped';

export interface ReleaseTargetResult {
  region: string;
  functionName: string;
  /** The alias as the release left it: its name, version and routing (empty when not split). */
  alias: { name: string; version: string; routing: Record<string, number> };
  outcome: WaveOutcome;
  /** One line: how this target's canary ended, and what the release did after. */
  reason: string;
  rollbackKind?: RollbackKind | null;
  errorName?: string;
  /** The target's canary execution, once the release started it. */
  execution?: string;
  /** The id of its canary's record (`.coalmine/executions/<id>.json`), when the run recorded it. */
  record?: string;
}

export interface ReleaseResult {
  outcome: Ending;
  /** Why a release that did not promote everywhere stopped: the first target that did not promote. */
  rollbackKind: RollbackKind | null;
  errorName?: string;
  reason: string;
  waves: { name: string; outcome: WaveOutcome; targets: ReleaseTargetResult[] }[];
}

export type ReleaseEvent =
  | { type: 'wave-started'; wave: number; name: string }
  | { type: 'target-started'; wave: number; key: string }
  | { type: 'target-ended'; wave: number; key: string; result: RunResult; stopped?: { because: string; cleanup?: string } }
  | { type: 'bake'; seconds: number }
  | { type: 'restored'; key: string; restored: boolean; reason: string }
  | { type: 'announced'; entry: PutEventsEntry }
  | { type: 'finished'; result: ReleaseResult };

/** Faults to inject into the release's own Tasks (tests): return an error to throw instead of running. */
export interface ReleaseFaults {
  /** StartExecution of the target's canary fails with this error (once the promise settles, when it is one). */
  startExecution?: (target: ReleaseTargetInput) => Error | undefined | Promise<Error | undefined>;
  /** Someone stops the target's canary by hand (StopExecution) when the promise settles. */
  stopByHand?: (target: ReleaseTargetInput) => Promise<unknown> | undefined;
  /** StopExecution of the canary of that name (a sibling's, when a canary did not promote). */
  stopExecution?: (canary: string) => Error | undefined;
  restore?: (target: { region: string; functionName: string; alias: string }) => Error | undefined;
}

export interface RunLocalReleaseOptions {
  release: Release;
  seed: number;
  /** A scenario by name or path (the target's `scenario`; `healthy` when it names none). */
  scenarioOf: (nameOrPath: string) => Scenario;
  onEvent?: (event: ReleaseEvent) => void;
  faults?: ReleaseFaults;
  /** ASL text to run; default: statemachine/release.asl.json. */
  definition?: string;
  /** Record each canary's execution into this folder (the console shows them); default: none. */
  recordDir?: string;
  /** Sees every call a target's canary makes through a port, and the region it went to (tests). */
  onPortCall?: (call: { target: string; region: string; port: string; method: string }) => void;
}

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<StateMachine['run']>[0];

interface Target {
  wave: number;
  input: ReleaseTargetInput;
  account: SimAccount;
  scenario: Scenario;
  seed: number;
  result?: RunResult;
  restored?: { restored: boolean; reason: string };
  /** The same function's namesakes in other regions (Coalmine's own, say): a canary must never call them. */
  namesakes: Map<string, SimAccount>;
  /** The canary's execution name, once the release started it. */
  canary?: string;
  /** Stops the canary's run, as StopExecution does. */
  controller?: AbortController;
  /** Why the release stopped the canary, when it did. */
  stoppedBecause?: string;
  /** What Cleanup did after the canary was stopped. */
  cleanup?: CleanupResult;
  /** The execution's output, when it succeeded. */
  output?: unknown;
}


/** Runs a release locally. Never throws for a release that did not promote: that is an outcome. */
export async function runLocalRelease(options: RunLocalReleaseOptions): Promise<ReleaseResult> {
  const { release, seed, onEvent } = options;
  const targets = new Map<string, Target>();
  release.input.waves.forEach((wave, w) => {
    wave.targets.forEach((input, t) => {
      const key = targetKey(input);
      const scenario = forTarget(scenarioFor(options.scenarioOf, release.scenarios.get(key) ?? 'healthy', `waves[${w}].targets[${t}].scenario`), input);
      const targetSeed = seed + targets.size;
      targets.set(key, { wave: w, input, scenario, seed: targetSeed, account: createSimAccount(scenario, { seed: targetSeed }), namesakes: new Map() });
    });
  });

  const text = options.definition ?? readFileSync(RELEASE_DEFINITION_PATH, 'utf8');
  const raw = JSON.parse(text) as AslDefinition;
  const definition = JSON.parse(text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => substituteValue(name))) as AslDefinition;
  const { handlers, waits, retrying, canaryMaps } = releaseStates(raw, targets, options);
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false, checkPaths: true } });
  const started = new Set<number>();
  const execution = machine.run(JSON.parse(JSON.stringify(release.input)) as JsonValue, {
    overrides: {
      taskResourceLocalHandlers: wrap(handlers, (key) => {
        const target = targets.get(key)!;
        if (!started.has(target.wave)) {
          started.add(target.wave);
          onEvent?.({ type: 'wave-started', wave: target.wave, name: release.input.waves[target.wave]!.name });
        }
        onEvent?.({ type: 'target-started', wave: target.wave, key });
      }),
      waitTimeOverrides: Object.fromEntries(waits.map((name) => [name, 0])),
      retryIntervalOverrides: Object.fromEntries(retrying.map((name) => [name, 0])),
    },
    // The release's own execution, as Step Functions would describe it: its canaries' names derive from its ARN.
    context: { Execution: { Id: `arn:aws:states:${LOCAL_REGION}:123456789012:execution:coalmine-release:release_${release.input.name}_${seed}`, Name: `release_${release.input.name}_${seed}` } },
  });
  const reading = (async () => {
    for await (const log of execution.eventLogs) {
      // A wave's Map that fails stops every canary still running in it, as Step Functions stops a failed Map's .sync children.
      if ((log.type === 'StateFailed' || log.type === 'StateCaught') && canaryMaps.includes(log.state.name) && !('index' in log)) {
        for (const target of targets.values()) stop(target, "the wave's Map failed");
      }
      if (log.type === 'StateEntered' && waits.includes(log.state.name)) {
        const seconds = (log.state.input as { bakeSeconds?: unknown } | null)?.bakeSeconds;
        if (typeof seconds === 'number') onEvent?.({ type: 'bake', seconds });
      }
    }
  })();
  let failure: { name: string; cause: string } | undefined;
  try {
    await execution.result;
  } catch (error) {
    const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    failure = inner instanceof Error ? { name: inner.name, cause: inner.message } : { name: 'Error', cause: String(inner) };
  }
  await reading;
  const result = summarise(release, targets, failure);
  onEvent?.({ type: 'finished', result });
  return result;
}

/**
 * The scenario a target names, or a refusal that names the target's field: with several targets,
 * "scenario: nope not found" alone does not say which one to fix.
 */
function scenarioFor(scenarioOf: (nameOrPath: string) => Scenario, name: string, field: string): Scenario {
  try {
    return scenarioOf(name);
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    throw new InvalidRequestError(`${field}: ${error.message.replace(/^scenario: /, '')}`, { cause: error });
  }
}

/** The target's scenario, its simulated function named and placed as the target says. */
function forTarget(scenario: Scenario, target: ReleaseTargetInput): Scenario {
  const account = { ...((scenario as { account?: Record<string, unknown> }).account ?? {}) };
  account['functionName'] = target.functionName;
  account['alias'] = target.alias;
  account['region'] = target.region;
  const candidate = String(target.candidateVersion);
  if (/^\d+$/.test(candidate)) {
    account['candidateVersion'] = candidate;
    // The stable version: the target's, else the one before the candidate (a scenario's own is for its own candidate).
    const stable = target['stableVersion'] ?? (Number(candidate) > 1 ? Number(candidate) - 1 : account['stableVersion']);
    if (stable !== undefined) account['stableVersion'] = String(stable);
  }
  return { ...scenario, account } as Scenario;
}

/** What stands in for each Task, found by resource and placeholder (never by state name). */
function releaseStates(raw: AslDefinition, targets: Map<string, Target>, options: RunLocalReleaseOptions): { handlers: LocalHandlers; waits: string[]; retrying: string[]; canaryMaps: string[] } {
  const handlers: LocalHandlers = {};
  const waits: string[] = [];
  const retrying: string[] = [];
  const canaryMaps: string[] = [];
  const visit = (definition: AslDefinition) => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Retry) retrying.push(name);
      if (state.Type === 'Wait') waits.push(name);
      if (state.ItemProcessor && Object.values(state.ItemProcessor.States).some((inner) => inner.Resource === START_EXECUTION_SYNC)) canaryMaps.push(name);
      if (state.Type === 'Task') {
        if (state.Resource === START_EXECUTION_SYNC) {
          handlers[name] = (input) => runCanary(input, targets, options);
        } else if (state.Resource === STOP_EXECUTION) {
          handlers[name] = (input) => stopCanary(input, targets, options);
        } else if (state.Resource === EVENTS_PUT_EVENTS) {
          handlers[name] = async (input) => {
            const entries = (input as { Entries?: PutEventsEntry[] }).Entries ?? [];
            for (const entry of entries) options.onEvent?.({ type: 'announced', entry });
            return { Entries: entries.map((_, i) => ({ EventId: `release-event-${i}` })), FailedEntryCount: 0 };
          };
        } else if (state.Resource === DESCRIBE_EXECUTION) {
          handlers[name] = (input) => describeCanary(input, targets);
        } else if (state.Resource === LAMBDA_INVOKE && state.Parameters?.['FunctionName'] === '${RestoreFunctionArn}') {
          handlers[name] = (input) => restore(input, targets, options);
        } else {
          throw new Error(`state "${name}": resource ${state.Resource} has no local implementation in a release`);
        }
      }
      for (const nested of [...(state.ItemProcessor ? [state.ItemProcessor] : []), ...(state.Branches ?? [])]) visit(nested);
    }
  };
  visit(raw);
  return { handlers, waits, retrying, canaryMaps };
}

/** Tells `started` which target a canary Task is about before it runs. */
function wrap(handlers: LocalHandlers, started: (key: string) => void): LocalHandlers {
  const wrapped: LocalHandlers = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = (input) => {
      const request = (input as { Input?: ReleaseTargetInput } | null)?.Input;
      if (request?.region !== undefined) started(targetKey(request));
      return handler(input);
    };
  }
  return wrapped;
}

async function runCanary(input: unknown, targets: Map<string, Target>, options: RunLocalReleaseOptions): Promise<JsonValue> {
  const { Input: request, Name: name } = input as { Input?: ReleaseTargetInput; Name?: string };
  const target = request ? targets.get(targetKey(request)) : undefined;
  if (!request || !target || !name) throw taskError('States.Runtime', `no target for ${JSON.stringify(request)}`);
  const fault = await options.faults?.startExecution?.(request);
  if (fault) throw fault;
  target.canary = name;
  const controller = new AbortController();
  target.controller = controller;
  void options.faults?.stopByHand?.(request)?.then(() => controller.abort());
  const executionArn = canaryArn(name);
  const result = await runLocal({
    scenario: target.scenario,
    seed: target.seed,
    account: target.account,
    portsIn: portsIn(target, options),
    request,
    executionName: name,
    signal: controller.signal,
    ...(options.recordDir ? { record: true, recordDir: options.recordDir } : {}),
    onEvent: (event) => {
      if (event.type === 'state' && event.event.type === 'ExecutionSucceeded') target.output = event.event.output;
    },
  });
  target.result = result;
  if (target.controller.signal.aborted) {
    // On AWS the canary's status rule starts Cleanup for a stopped execution: the same step, here.
    const statusChange = { 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { executionArn, name, status: 'ABORTED' } };
    target.cleanup = await createRegionalSteps(portsIn(target, options), { judge: assess, cleanup: { sleep: async () => {} } }).cleanup(statusChange);
  }
  const stopped = target.stoppedBecause === undefined ? {} : { stopped: { because: target.stoppedBecause, ...(target.cleanup ? { cleanup: target.cleanup.reason } : {}) } };
  options.onEvent?.({ type: 'target-ended', wave: target.wave, key: targetKey(request), result, ...stopped });
  const status = executionStatus(target);
  if (status === 'SUCCEEDED') return JSON.parse(JSON.stringify({ ExecutionArn: executionArn, Status: status, Output: target.output ?? null })) as JsonValue;
  // What .sync raises when the child execution fails or is stopped: States.TaskFailed, its DescribeExecution as the cause.
  throw taskError('States.TaskFailed', JSON.stringify({ ExecutionArn: executionArn, Status: status, Error: result.errorName, Cause: result.reason }));
}

/** StopExecution on a sibling canary: its run aborts, and Cleanup puts its alias back. Stopping one that ended does nothing. */
async function stopCanary(input: unknown, targets: Map<string, Target>, options: RunLocalReleaseOptions): Promise<JsonValue> {
  const { ExecutionArn: executionArn, Cause: cause } = input as { ExecutionArn: string; Cause?: string };
  const name = executionArn.split(':').at(-1)!;
  const fault = options.faults?.stopExecution?.(name);
  if (fault) throw fault;
  const target = canaryNamed(targets, name);
  if (!target) throw taskError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${executionArn}'`);
  stop(target, cause ?? 'stopped by the release');
  return { StopDate: target.account.clock.now().toISOString() };
}

/** DescribeExecution of a canary the release started: its status, and its output once it succeeded. */
async function describeCanary(input: unknown, targets: Map<string, Target>): Promise<JsonValue> {
  const { ExecutionArn: executionArn } = input as { ExecutionArn: string };
  const target = canaryNamed(targets, executionArn.split(':').at(-1)!);
  if (!target) throw taskError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${executionArn}'`);
  const status = executionStatus(target);
  return JSON.parse(JSON.stringify({ ExecutionArn: executionArn, Name: target.canary, Status: status, ...(status === 'SUCCEEDED' ? { Output: JSON.stringify(target.output ?? null) } : {}) })) as JsonValue;
}

function stop(target: Target, because: string): void {
  if (target.result || !target.controller || target.controller.signal.aborted) return;
  target.stoppedBecause = because;
  target.controller.abort();
}

function canaryNamed(targets: Map<string, Target>, name: string): Target | undefined {
  return [...targets.values()].find((target) => target.canary === name);
}

function canaryArn(name: string): string {
  return `${substituteValue('CanaryExecutionArnPrefix')}${name}`;
}

function executionStatus(target: Target): 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' {
  if (!target.result) return 'RUNNING';
  if (target.controller?.signal.aborted) return 'ABORTED';
  return target.result.errorName === undefined ? 'SUCCEEDED' : 'FAILED';
}

async function restore(input: unknown, targets: Map<string, Target>, options: RunLocalReleaseOptions): Promise<JsonValue> {
  const payload = (input as { Payload?: { region: string; functionName: string; alias: string } }).Payload;
  const target = payload ? targets.get(targetKey(payload)) : undefined;
  if (!payload || !target) throw taskError('States.Runtime', `no target for ${JSON.stringify(payload)}`);
  try {
    const fault = options.faults?.restore?.(payload);
    if (fault) throw fault;
    const restored = await createRestore({ router: target.account.ports.router })(JSON.parse(JSON.stringify(payload)));
    target.restored = restored;
    options.onEvent?.({ type: 'restored', key: targetKey(payload), restored: restored.restored, reason: restored.reason });
    return JSON.parse(JSON.stringify({ Payload: restored, StatusCode: 200 })) as JsonValue;
  } catch (error) {
    throw asLambdaError(error);
  }
}

/**
 * The ports of each region, as a target's canary sees them: its own region is its simulated function;
 * any other (Coalmine's own, when the target is elsewhere) holds a healthy namesake of it, as a real
 * account might, which a canary that called the wrong region would change.
 */
function portsIn(target: Target, options: RunLocalReleaseOptions): (region: string | undefined) => Ports {
  const key = targetKey(target.input);
  return (named) => {
    const region = named ?? LOCAL_REGION;
    let account = region === target.input.region ? target.account : target.namesakes.get(region);
    if (!account) {
      account = createSimAccount(forTarget(options.scenarioOf('healthy'), { ...target.input, region }), { seed: target.seed });
      target.namesakes.set(region, account);
    }
    // Step Functions is in Coalmine's region, where the target's simulated account keeps its canary's record.
    return observed({ ...account.ports, executions: target.account.ports.executions }, (port, method) => options.onPortCall?.({ target: key, region, port, method }));
  };
}

/** The ports, each call told to `onCall` first. */
function observed(ports: Ports, onCall: (port: string, method: string) => void): Ports {
  const wrapped: Record<string, unknown> = {};
  for (const [port, implementation] of Object.entries(ports) as [string, Record<string, unknown>][]) {
    wrapped[port] = Object.fromEntries(
      Object.entries(implementation).map(([method, value]) => [
        method,
        typeof value === 'function'
          ? (...args: unknown[]) => {
              onCall(port, method);
              return (value as (...a: unknown[]) => unknown).apply(implementation, args);
            }
          : value,
      ]),
    );
  }
  return wrapped as unknown as Ports;
}

function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

function summarise(release: Release, targets: Map<string, Target>, failure: { name: string; cause: string } | undefined): ReleaseResult {
  const all = [...targets.entries()];
  // The first target that did not promote on its own: siblings it stopped follow it, they do not lead.
  const stopper = all.map(([, t]) => t).find((t) => t.result && t.result.outcome !== 'promoted' && !t.stoppedBecause);
  const waves = release.input.waves.map((wave, w) => {
    const results = all.filter(([, t]) => t.wave === w).map(([key, t]) => targetResult(key, t));
    return { name: wave.name, outcome: waveOutcome(results.map((r) => r.outcome)), targets: results };
  });
  if (!failure) {
    return { outcome: 'promoted', rollbackKind: null, reason: `promoted everywhere: ${targets.size} target${targets.size === 1 ? '' : 's'} in ${waves.length} wave${waves.length === 1 ? '' : 's'}`, waves };
  }
  const restoredCount = all.filter(([, t]) => t.restored?.restored).length;
  const where = stopper ? `${targetKey(stopper.input)} in wave "${release.input.waves[stopper.wave]!.name}"` : 'a target';
  const why = stopper?.result ? `${stopper.result.outcome === 'rolled-back' ? 'rolled back' : 'failed'}: ${stopper.result.reason}` : failure.cause;
  const after = failure.name === 'ReleaseRolledBack' ? `; put back ${restoredCount} promoted target${restoredCount === 1 ? '' : 's'}` : failure.name === 'ReleaseStopped' ? '; earlier waves stay promoted' : '';
  const clean = failure.name === 'ReleaseRolledBack' || failure.name === 'ReleaseStopped';
  const outcome: Ending = clean && stopper?.result?.outcome === 'rolled-back' ? 'rolled-back' : 'failed';
  return {
    outcome,
    rollbackKind: outcome === 'rolled-back' ? (stopper?.result?.rollbackKind ?? null) : 'error',
    errorName: clean ? (stopper?.result?.errorName ?? failure.name) : failure.name,
    reason: clean ? `stopped at ${where}, which ${why}${after}` : `${failure.name}: ${failure.cause}`,
    waves,
  };
}

function targetResult(key: string, target: Target): ReleaseTargetResult {
  const alias = target.account.aliasNow();
  const base = {
    region: target.input.region,
    functionName: target.input.functionName,
    alias: { name: target.input.alias, version: alias.version, routing: { ...alias.weights } },
    ...(target.canary ? { execution: canaryArn(target.canary) } : {}),
    ...(target.result?.record ? { record: basename(target.result.record, '.json') } : {}),
  };
  if (!target.result) return { ...base, outcome: 'skipped', reason: 'not started: the release stopped before this wave' };
  if (target.restored?.restored) return { ...base, outcome: 'rolled-back', rollbackKind: null, reason: `promoted, then ${target.restored.reason} when the release rolled back` };
  if (target.stoppedBecause) {
    const cleanup = target.cleanup ? `; ${target.cleanup.reason}` : '';
    return { ...base, outcome: target.cleanup?.action === 'restored' ? 'rolled-back' : 'failed', rollbackKind: null, reason: `stopped: ${target.stoppedBecause}${cleanup}` };
  }
  const extra = [target.cleanup, target.restored].map((after) => (after ? `; ${after.reason}` : '')).join('');
  return {
    ...base,
    outcome: target.result.outcome,
    rollbackKind: target.result.rollbackKind,
    reason: `${target.result.reason}${extra}`,
    ...(target.result.errorName ? { errorName: target.result.errorName } : {}),
  };
}

function waveOutcome(outcomes: WaveOutcome[]): WaveOutcome {
  if (outcomes.every((o) => o === 'skipped')) return 'skipped';
  if (outcomes.includes('failed')) return 'failed';
  if (outcomes.includes('rolled-back')) return 'rolled-back';
  return 'promoted';
}
