/**
 * The simulated AWS account: one Lambda function with an alias, CloudWatch-like per-minute
 * per-version metrics drawn from a scenario's traffic model as the simulated clock advances,
 * EventBridge, and (for SQS scenarios) the queue model. It implements the core's ports in memory,
 * so the same step code that runs on AWS runs here. Nothing reads the wall clock or Math.random:
 * a scenario and a seed give the same account, minute by minute, every time.
 *
 * @example
 * const account = createSimAccount(loadScenario('error-3x'), { seed: 7 });
 * const alias = await account.ports.router.getAlias('checkout', 'live'); // version 12, RevisionId …
 * await account.ports.router.updateAlias('checkout', 'live', { weights: { '13': 10 } }, alias.revisionId);
 * account.advanceTo('2026-01-05T09:05:00Z'); // five minutes of traffic, 10% on version 13
 */
import type { AlarmState, AliasChange, AliasState, ExecutionDescription, Ports, QueueInspector, VersionConfig } from '../../core/ports.ts';
import { FaultInjector } from '../faults.ts';
import { apiMinuteSource, type MinuteSource, type MinuteSourceContext, type MinuteSourceFactory } from '../minute-source.ts';
import { queueMinuteSource, type QueueAccounting } from '../queue/index.ts';
import type { Scenario } from '../scenario.ts';
import { excessFailures } from '../traffic.ts';
import { createSimAlias, lambdaError, sharesOf } from './alias.ts';
import { createSimInvoker, type SimFunction } from './invoker.ts';
import { createEventBus, type PublishedEvent, type PutEventsEntry } from './event-bus.ts';
import { createSimExecutions } from './executions.ts';
import { createSimLogs, type SimLogs } from './logs.ts';
import { createSimMetrics } from './metrics.ts';
import { accountSettings, MINUTE_MS, SIM_START, type SimAccountSettings } from './settings.ts';
import { warmupMinutesFor } from '../scenario.ts';
import { createTimeline, type SeriesPoint, type SimClock, type SimMinute, type Timeline } from './timeline.ts';
import { round } from '../../core/round.ts';

export interface SimAccountOptions {
  seed: number;
  /** Minutes of stable-only traffic before the start. Default 30 (more when the scenario's analysis asks for a longer baseline). */
  warmupMinutes?: number;
  /** Replace the scenario's traffic (tests, the queue model). Default: `defaultSource`. */
  source?: MinuteSourceFactory;
}

export interface SimAccount {
  readonly ports: Ports;
  readonly clock: SimClock;
  readonly faults: FaultInjector;
  readonly scenario: Scenario;
  readonly seed: number;
  readonly settings: SimAccountSettings;
  /** Moves the simulated clock forward, generating traffic. */
  advanceTo(time: string | Date): void;
  /** Someone changes the alias in the console: no revision check; the revision moves on. */
  changeAliasByHand(change: AliasChange): AliasState;
  aliasNow(): AliasState;
  /** Someone retags the function (e.g. removes its opt-in tag mid-canary). */
  setTags(tags: Record<string, string>): void;
  /** A version's State, role or DLQ, as Lambda would report it. */
  setVersionConfig(version: string, config: Partial<Omit<VersionConfig, 'version'>>): void;
  /** Step Functions' record of an execution: the runner records its start and end. */
  recordExecution(execution: ExecutionDescription): void;
  /**
   * Does something when the simulated clock reaches a time: an ISO time, or minutes after the first
   * shift (as `candidate.fromMinute`). E.g. someone changes the alias by hand in mid-canary:
   * `account.at(4, () => account.changeAliasByHand({ weights: {} }))`.
   */
  at(when: string | number, run: () => void): void;
  /** CloudWatch Logs Insights, as the state machine's SDK integrations call it (the cold-start query). */
  logs: SimLogs;
  /** EventBridge events published so far. */
  readonly events: readonly PublishedEvent[];
  /** EventBridge `PutEvents`, through the fault hooks as `events.putEvents`. */
  putEvents(entries: PutEventsEntry[]): Promise<{ Entries: { EventId: string }[]; FailedEntryCount: number }>;
  /** When traffic first reached the candidate; undefined while it has not. */
  firstShiftAt(): Date | undefined;
  /** The end of the scenario: `scenario.minutes` after the first shift (after the start when there was none). */
  horizon(): Date;
  /** Keeps the traffic running to the horizon. */
  runToHorizon(): void;
  /** Failed requests the candidate served beyond stable's true error rate, over the minutes generated up to the horizon. */
  excessFailures(): number;
  /** Every generated minute, warm-up included, in order. */
  history(): readonly SimMinute[];
  /** The minutes as charts want them: weight and both versions' figures (null without a datapoint). */
  series(): SeriesPoint[];
  queueSummary(): QueueAccounting | undefined;
  /** Puts another function in the account (a pre-traffic hook), invoked by name or ARN. */
  addFunction(name: string, run: SimFunction): void;
  /** Sets a CloudWatch alarm's state (creating the alarm), e.g. `account.at(3, () => account.setAlarm('checkout-5xx', 'ALARM'))`. */
  setAlarm(name: string, state: AlarmState): void;
}

/**
 * Builds the simulated account for a scenario and seed: the alias, the clock and traffic behind it,
 * CloudWatch, the queues and EventBridge, all through the fault injector; then runs the warm-up.
 *
 * @example
 * const account = createSimAccount(scenario, { seed: 1 });
 * account.faults.inject({ call: 'router.updateAlias', error: () => new ThrottledError('Rate exceeded'), times: 2 });
 */
export function createSimAccount(scenario: Scenario, options: SimAccountOptions): SimAccount {
  const { seed } = options;
  const settings = accountSettings(scenario);
  const faults = new FaultInjector();
  const start = Date.parse(SIM_START);
  const warmup = options.warmupMinutes ?? warmupMinutesFor(scenario);

  const alias = createSimAlias({ settings, seed, faults, routingChanged: (shares) => timeline.route(shares) });
  const timeline = createTimeline({
    scenario,
    seed,
    simulationStart: start - warmup * MINUTE_MS,
    candidateVersion: settings.candidateVersion,
    stableVersion: settings.stableVersion,
    shares: sharesOf(alias.now()),
    source: options.source ?? defaultSource,
  });
  const metrics = createSimMetrics(timeline, faults, settings, seed);
  const logs = createSimLogs(timeline, faults, settings, seed);
  const queues = faultyQueues(faults, timeline.source.queues ?? noQueues());
  const bus = createEventBus(faults, seed, timeline.clock.now);
  const executions = createSimExecutions(faults);
  const others = new Map<string, SimFunction>();
  const alarms = new Map<string, AlarmState>(Object.entries(settings.alarms));
  const invoker = createSimInvoker({ scenario, settings, seed, aliasVersion: () => alias.now().version, others });
  const horizon = (): Date => new Date((timeline.firstShift() ?? start) + scenario.minutes * MINUTE_MS);

  // The canary starts after the warm-up.
  timeline.advanceTo(new Date(start));

  return {
    ports: {
      router: alias.router,
      functions: alias.functions,
      metrics,
      queues,
      executions: executions.registry,
      invoker: { invoke: (request) => faults.call('invoker.invoke', [request], () => invoker.invoke(request)) },
      alarms: {
        states: (names) => faults.call('alarms.states', [names], () => Object.fromEntries(names.flatMap((name) => (alarms.has(name) ? [[name, alarms.get(name)!]] : [])))),
      },
      clock: timeline.clock,
    },
    clock: timeline.clock,
    logs,
    faults,
    scenario,
    seed,
    settings,
    advanceTo: timeline.advanceTo,
    changeAliasByHand: alias.changeByHand,
    setTags: alias.setTags,
    setVersionConfig: alias.setVersionConfig,
    recordExecution: executions.record,
    at: timeline.schedule,
    aliasNow: alias.now,
    events: bus.events,
    putEvents: bus.putEvents,
    firstShiftAt: () => {
      const firstShift = timeline.firstShift();
      return firstShift === undefined ? undefined : new Date(firstShift);
    },
    horizon,
    runToHorizon: () => timeline.advanceTo(horizon()),
    excessFailures: () => candidateExcessFailures(timeline, settings, horizon()),
    history: timeline.minutes,
    series: timeline.series,
    queueSummary: () => timeline.source.queueSummary?.(),
    addFunction: (name, run) => others.set(name, run),
    setAlarm: (name, state) => alarms.set(name, state),
  };
}

/**
 * The traffic for a scenario: requests from the API traffic model; for `trigger: "sqs"`, the queue
 * model (src/sim/queue) plugs in here.
 */
export function defaultSource(context: MinuteSourceContext): MinuteSource {
  const { scenario, seed } = context;
  if (scenario.trigger === 'sqs') return queueMinuteSource(context, accountSettings(scenario));
  return apiMinuteSource(scenario, seed);
}

/** Failed requests the candidate served beyond stable's true error rate, over the minutes before `end`. */
function candidateExcessFailures(timeline: Timeline, settings: SimAccountSettings, end: Date): number {
  const { source } = timeline;
  // The queue counts failed messages, not invocations (a partial batch failure is no error).
  if (source.excessFailures) return round(source.excessFailures(Math.ceil((end.getTime() - timeline.simulationStart) / MINUTE_MS)), 2);
  let candidateErrors = 0;
  let candidateInvocations = 0;
  for (const minute of timeline.minutes()) {
    if (Date.parse(minute.minute) >= end.getTime()) break;
    const figures = minute.versions[settings.candidateVersion];
    if (!figures) continue;
    candidateErrors += figures.errors;
    candidateInvocations += figures.invocations;
  }
  return round(excessFailures(candidateErrors, candidateInvocations, source.stableErrorRate()), 2);
}

function noQueues(): QueueInspector {
  return {
    listQueueSources: async () => [],
    depth: async (url) => {
      throw lambdaError('QueueDoesNotExist', `The specified queue does not exist: ${url}`);
    },
    redrive: async (dlq) => {
      throw lambdaError('QueueDoesNotExist', `The specified queue does not exist: ${dlq.url}`);
    },
  };
}

/** The queues port through the fault hooks. */
function faultyQueues(faults: FaultInjector, inner: QueueInspector): QueueInspector {
  return {
    listQueueSources: (functionName) => faults.call('queues.listQueueSources', [functionName], () => inner.listQueueSources(functionName)),
    depth: (url) => faults.call('queues.depth', [url], () => inner.depth(url)),
    redrive: (dlq, target, since, options) => faults.call('queues.redrive', [dlq, target, since], () => inner.redrive(dlq, target, since, options)),
  };
}
