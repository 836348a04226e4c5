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
import * as z from 'zod';
import {
  AliasChangedError,
  AliasNotFoundError,
  FunctionNotFoundError,
  InvalidRequestError,
  InvalidVersionError,
} from '../core/errors.ts';
import type {
  AliasChange,
  AliasState,
  Baseline,
  Clock,
  FunctionInfo,
  MetricsSource,
  MetricsWindow,
  MinuteObservation,
  Ports,
  QueueInspector,
  QueueMinute,
  TrafficRouter,
  VersionMetricsQuery,
  VersionMinute,
} from '../core/ports.ts';
import { FaultInjector } from './faults.ts';
import { apiMinuteSource, type MinuteSource, type MinuteSourceContext, type MinuteSourceFactory } from './minute-source.ts';
import { queueMinuteSource, type QueueAccounting } from './queue/index.ts';
import { mixSeed, Random } from './random.ts';
import type { Scenario } from './scenario.ts';
import { excessFailures, type VersionName } from './traffic.ts';

const MINUTE_MS = 60_000;
const REGION = 'us-east-1';
const ACCOUNT_ID = '123456789012';

/** Where the simulated clock starts: the canary begins here, after the warm-up minutes. */
export const SIM_START = '2026-01-05T09:00:00.000Z';
/** Minutes of stable-only traffic generated before SIM_START, for the baseline. */
export const DEFAULT_WARMUP_MINUTES = 30;

/**
 * The simulated function, alias and versions. A scenario may set any of these under `account`.
 * Published versions are "1" up to the larger of the two versions.
 */
export const simAccountSettingsSchema = z.strictObject({
  functionName: z.string().regex(/^[a-zA-Z0-9-_]{1,64}$/, 'letters, digits, - and _ (1-64)').default('checkout'),
  alias: z.string().regex(/^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/, 'letters, digits, - and _ (1-128), not all digits').default('live'),
  stableVersion: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^[1-9][0-9]{0,5}$/, 'a version number')).default('12'),
  candidateVersion: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^[1-9][0-9]{0,5}$/, 'a version number')).default('13'),
  /** The alias' description before any canary. */
  description: z.string().max(256).default(''),
  tags: z.record(z.string(), z.string()).default({}),
  timeoutSeconds: z.number().int().min(1).max(900).default(30),
});

export type SimAccountSettings = z.output<typeof simAccountSettingsSchema>;

/** Reads a scenario's optional `account` field; bad values are bad input, named by field. */
export function accountSettings(scenario: Scenario): SimAccountSettings {
  const parsed = simAccountSettingsSchema.safeParse((scenario as Record<string, unknown>)['account'] ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidRequestError(`${scenario.source}: account${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
  }
  if (parsed.data.stableVersion === parsed.data.candidateVersion) {
    throw new InvalidRequestError(`${scenario.source}: account.candidateVersion: equals stableVersion (${parsed.data.stableVersion})`);
  }
  return parsed.data;
}

/** An EventBridge event the state machine published. */
export interface PublishedEvent {
  /** Simulated time of publication. */
  at: string;
  eventBusName: string;
  source: string;
  detailType: string;
  detail: unknown;
}

export interface PutEventsEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  /** An object (Step Functions' putEvents integration) or a JSON string (the SDK). */
  Detail?: unknown;
}

/** One simulated minute, with the truth behind it. */
export interface SimMinute {
  index: number;
  /** ISO start of the minute. */
  minute: string;
  /** Candidate's share over the minute, percent. */
  weight: number;
  minutesSinceShift: number | null;
  /** The version on the stable side this minute (the alias' other version; normally the stable one). */
  stableSide: string;
  /** Figures by version; a version that served nothing has no entry. */
  versions: Record<string, VersionMinute>;
  queue?: QueueMinute;
}

/** One simulated minute of the alias' traffic, for charts (an execution record's `series`). */
export interface SeriesPoint {
  /** ISO time of the minute's start. */
  minute: string;
  /** Candidate's share of traffic over the minute, percent. */
  weight: number;
  stable: VersionMinute | null;
  candidate: VersionMinute | null;
}

export interface SimClock extends Clock {
  /** Moves the clock forward (never back), generating every whole minute that ends by then. */
  advanceTo(time: string | Date): void;
}

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
  /**
   * Does something when the simulated clock reaches a time: an ISO time, or minutes after the first
   * shift (as `candidate.fromMinute`). E.g. someone changes the alias by hand in mid-canary:
   * `account.at(4, () => account.changeAliasByHand({ weights: {} }))`.
   */
  at(when: string | number, run: () => void): void;
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
}

interface ScheduledAction {
  when: string | number;
  run: () => void;
}

interface RoutingSegment {
  /** From this time on (ms). */
  from: number;
  /** Share of the alias by version, fractions summing to 1. */
  shares: Record<string, number>;
}

/**
 * Builds the simulated account for a scenario and seed.
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
  const warmup = options.warmupMinutes ?? Math.max(DEFAULT_WARMUP_MINUTES, scenarioBaselineMinutes(scenario) + 5);
  const simulationStart = start - warmup * MINUTE_MS;
  let now = simulationStart;
  const source = (options.source ?? defaultSource)({ scenario, seed, simulationStart: new Date(simulationStart), now: () => new Date(now) });
  const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${settings.functionName}`;
  const versions = Array.from({ length: Math.max(Number(settings.stableVersion), Number(settings.candidateVersion)) }, (_, i) => String(i + 1));

  let revisions = 0;
  const nextRevision = (): string => revisionId(seed, ++revisions);
  let alias: AliasState = {
    functionName: settings.functionName,
    name: settings.alias,
    version: settings.stableVersion,
    weights: {},
    description: settings.description,
    revisionId: nextRevision(),
  };
  const routing: RoutingSegment[] = [{ from: simulationStart, shares: sharesOf(alias) }];
  let firstShift: number | undefined;
  const scheduled: ScheduledAction[] = [];
  const minutes: SimMinute[] = [];
  const events: PublishedEvent[] = [];
  const rng = new Random(0);

  const clock: SimClock = {
    now: () => new Date(now),
    advanceTo,
  };

  function advanceTo(time: string | Date): void {
    const target = typeof time === 'string' ? Date.parse(time) : time.getTime();
    if (Number.isNaN(target)) throw new RangeError(`advanceTo: not a time: ${String(time)}`);
    // Scheduled actions happen at their time, in order, with the traffic generated up to it.
    for (let due = nextDue(target); due; due = nextDue(target)) {
      scheduled.splice(scheduled.indexOf(due.action), 1);
      moveClock(due.at);
      due.action.run();
    }
    moveClock(target);
  }

  function moveClock(target: number): void {
    if (target <= now) return;
    now = target;
    const end = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    while (simulationStart + minutes.length * MINUTE_MS + MINUTE_MS <= end) generateMinute(minutes.length);
  }

  /** The earliest scheduled action due by `target` (minutes after the first shift wait for it). */
  function nextDue(target: number): { action: ScheduledAction; at: number } | undefined {
    let best: { action: ScheduledAction; at: number } | undefined;
    for (const action of scheduled) {
      const at = typeof action.when === 'string' ? Date.parse(action.when) : firstShift === undefined ? undefined : firstShift + action.when * MINUTE_MS;
      if (at === undefined || at > target) continue;
      if (!best || at < best.at) best = { action, at };
    }
    return best;
  }

  function generateMinute(index: number): void {
    const from = simulationStart + index * MINUTE_MS;
    const shares = averageShares(routing, from, from + MINUTE_MS);
    const candidateShare = shares[settings.candidateVersion] ?? 0;
    const stableSide = mainOther(shares, settings.candidateVersion) ?? settings.stableVersion;
    const sinceShift = minutesSinceShift(from);
    const weightPercent = round(candidateShare * 100, 6);
    const drawn = source.minute({ rng: rng.reseed(seed, index), index, start: new Date(from), minutesSinceShift: sinceShift, weightPercent });
    const figures: Record<string, VersionMinute> = {};
    if (hasDatapoint(drawn.stable)) figures[stableSide] = drawn.stable;
    if (hasDatapoint(drawn.candidate)) figures[settings.candidateVersion] = drawn.candidate;
    minutes.push({
      index,
      minute: new Date(from).toISOString(),
      weight: weightPercent,
      minutesSinceShift: sinceShift,
      stableSide,
      versions: figures,
      ...(drawn.queue ? { queue: drawn.queue } : {}),
    });
  }

  function minutesSinceShift(minuteStart: number): number | null {
    if (firstShift === undefined || minuteStart + MINUTE_MS <= firstShift) return null;
    return Math.max(0, Math.floor((minuteStart - firstShift) / MINUTE_MS));
  }

  function setAlias(next: AliasState): AliasState {
    alias = { ...next, revisionId: nextRevision() };
    const shares = sharesOf(alias);
    routing.push({ from: now, shares });
    if (firstShift === undefined && (shares[settings.candidateVersion] ?? 0) > 0) firstShift = now;
    source.routingChanged?.(new Date(now), shares[settings.candidateVersion] ?? 0);
    return snapshot(alias);
  }

  function findFunction(name: string): void {
    if (name !== settings.functionName && name !== functionArn) {
      throw new FunctionNotFoundError(`Function not found: arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}`);
    }
  }

  function findAlias(functionName: string, name: string): AliasState {
    findFunction(functionName);
    if (name !== alias.name) {
      throw new AliasNotFoundError(`Alias not found: ${functionArn}:${name}`);
    }
    return alias;
  }

  function applyChange(current: AliasState, change: AliasChange): AliasState {
    const version = change.version ?? current.version;
    const weights = change.weights ?? current.weights;
    const description = change.description ?? current.description;
    if (!versions.includes(version)) {
      throw new InvalidVersionError(`Function not found: ${functionArn}:${version}`);
    }
    const additional = Object.entries(weights);
    if (additional.length > 1) throw lambdaError('InvalidParameterValueException', 'Number of items in AdditionalVersionWeights cannot be greater than 1');
    for (const [extra, weight] of additional) {
      if (!versions.includes(extra)) throw new InvalidVersionError(`Function not found: ${functionArn}:${extra}`);
      if (extra === version) throw lambdaError('InvalidParameterValueException', `Cannot set alias ${current.name} to route to version ${extra} as both primary and additional version`);
      if (!(weight >= 0 && weight <= 100)) throw lambdaError('InvalidParameterValueException', `Weight for version ${extra} must be between 0 and 100 percent, got ${weight}`);
    }
    if (description.length > 256) throw lambdaError('InvalidParameterValueException', 'Description must be at most 256 characters');
    return { ...current, version, weights: { ...weights }, description };
  }

  const router: TrafficRouter = {
    getAlias: (functionName, name) =>
      faults.call('router.getAlias', [functionName, name], () => snapshot(findAlias(functionName, name))),
    updateAlias: (functionName, name, change, expectedRevision) =>
      faults.call('router.updateAlias', [functionName, name, change, expectedRevision], () => {
        const current = findAlias(functionName, name);
        if (current.revisionId !== expectedRevision) {
          throw new AliasChangedError(`The RevisionId provided does not match the latest RevisionId for alias ${functionArn}:${name} (someone else changed it)`);
        }
        return setAlias(applyChange(current, change));
      }),
  };

  const functions = {
    getFunction: (functionName: string) =>
      faults.call('functions.getFunction', [functionName], (): FunctionInfo => {
        findFunction(functionName);
        return { functionName: settings.functionName, functionArn, versions: [...versions], timeoutSeconds: settings.timeoutSeconds, tags: { ...settings.tags } };
      }),
  };

  const metrics: MetricsSource = {
    versionMinutes: (query) =>
      faults.call('metrics.versionMinutes', [query], (): MetricsWindow => {
        const failure = faults.takeMetricsFailure();
        if (failure !== undefined) return { minutes: [], failures: [{ metric: 'versionMinutes', message: failure }] };
        const observed: MinuteObservation[] = [];
        for (const minute of minutesIn(query.start, query.end)) observed.push(observe(minute, query));
        return { minutes: observed, failures: [] };
      }),
    baseline: (query) =>
      faults.call('metrics.baseline', [query], (): Baseline => {
        const ours = query.functionName === settings.functionName && query.alias === settings.alias;
        let count = 0;
        let invocations = 0;
        let errors = 0;
        const queue: QueueMinute[] = [];
        for (const minute of minutesIn(query.start, query.end)) {
          if (dropped(minute)) continue;
          const figures = ours ? minute.versions[query.version] : undefined;
          if (figures) {
            count++;
            invocations += figures.invocations;
            errors += figures.errors;
          }
          if (query.queue && minute.queue) queue.push(minute.queue);
        }
        return {
          minutes: count,
          invocations,
          errors,
          ...(invocations > 0 ? { latencyThresholdMs: source.stableLatencyPercentile(query.percentile) } : {}),
          ...(query.queue ? { queue } : {}),
        };
      }),
  };

  function minutesIn(startIso: string, endIso: string): SimMinute[] {
    const from = Date.parse(startIso);
    const to = Date.parse(endIso);
    return minutes.filter((minute) => {
      const at = Date.parse(minute.minute);
      return at >= from && at < to;
    });
  }

  function dropped(minute: SimMinute): boolean {
    const cutoff = faults.metricsCutoff;
    if (cutoff === undefined) return false;
    const at = Date.parse(minute.minute);
    if (typeof cutoff === 'string') return at >= Date.parse(cutoff);
    return firstShift !== undefined && at >= firstShift + cutoff * MINUTE_MS;
  }

  function observe(minute: SimMinute, query: VersionMetricsQuery): MinuteObservation {
    const ours = query.functionName === settings.functionName && query.alias === settings.alias && !dropped(minute);
    const pick = (version: string, side: VersionName): VersionMinute | null => {
      const figures = ours ? minute.versions[version] : undefined;
      if (!figures) return null;
      const result: VersionMinute = { invocations: figures.invocations, errors: figures.errors, throttles: figures.throttles };
      if (figures.p99Ms !== undefined) result.p99Ms = figures.p99Ms;
      if (query.slowThresholdMs !== undefined) {
        const sideNow = version === settings.candidateVersion ? side : 'stable';
        if (source.slowCount) {
          result.slow = source.slowCount(minute.index, sideNow, query.slowThresholdMs);
        } else {
          const p = source.expectedSlowFraction(sideNow, minute.minutesSinceShift, query.slowThresholdMs);
          result.slow = Random.for(seed, minute.index, sideNow === 'candidate' ? 1 : 0, Math.round(query.slowThresholdMs * 1000)).binomial(figures.invocations, p);
        }
      }
      if (query.customMetrics?.length && figures.custom) {
        const custom: Record<string, number> = {};
        for (const metric of query.customMetrics) {
          const value = figures.custom[metric.id];
          if (value !== undefined) custom[metric.id] = value;
        }
        if (Object.keys(custom).length) result.custom = custom;
      }
      return result;
    };
    return {
      minute: minute.minute,
      stable: pick(query.stableVersion, 'stable'),
      candidate: pick(query.candidateVersion, 'candidate'),
      ...(query.queue ? { queue: ours && minute.queue ? minute.queue : null } : {}),
    };
  }

  const queues: QueueInspector = wrapQueues(faults, source.queues ?? noQueues());

  async function putEvents(entries: PutEventsEntry[]) {
    return faults.call('events.putEvents', [entries], () => {
      const ids: { EventId: string }[] = [];
      for (const entry of entries) {
        const detail = typeof entry.Detail === 'string' ? safeJson(entry.Detail) : entry.Detail;
        events.push({
          at: new Date(now).toISOString(),
          eventBusName: entry.EventBusName ?? 'default',
          source: entry.Source ?? '',
          detailType: entry.DetailType ?? '',
          detail,
        });
        ids.push({ EventId: revisionId(seed ^ 0x65766e74, events.length) });
      }
      return { Entries: ids, FailedEntryCount: 0 };
    });
  }

  function horizon(): Date {
    return new Date((firstShift ?? start) + scenario.minutes * MINUTE_MS);
  }

  // The canary starts after the warm-up.
  advanceTo(new Date(start));

  return {
    ports: { router, functions, metrics, queues, clock },
    clock,
    faults,
    scenario,
    seed,
    settings,
    advanceTo,
    changeAliasByHand: (change) => setAlias(applyChange(alias, change)),
    at: (when, run) => {
      scheduled.push({ when, run });
      // Something due already happens at once (at the current time).
      advanceTo(new Date(now));
    },
    aliasNow: () => snapshot(alias),
    events,
    putEvents,
    firstShiftAt: () => (firstShift === undefined ? undefined : new Date(firstShift)),
    horizon,
    runToHorizon: () => advanceTo(horizon()),
    excessFailures: () => {
      const end = horizon().getTime();
      // The queue counts failed messages, not invocations (a partial batch failure is no error).
      if (source.excessFailures) return round(source.excessFailures(Math.ceil((end - simulationStart) / MINUTE_MS)), 2);
      let candidateErrors = 0;
      let candidateInvocations = 0;
      for (const minute of minutes) {
        if (Date.parse(minute.minute) >= end) break;
        const figures = minute.versions[settings.candidateVersion];
        if (!figures) continue;
        candidateErrors += figures.errors;
        candidateInvocations += figures.invocations;
      }
      return round(excessFailures(candidateErrors, candidateInvocations, source.stableErrorRate()), 2);
    },
    history: () => minutes,
    series: () =>
      minutes.map((minute) => ({
        minute: minute.minute,
        weight: minute.weight,
        stable: minute.versions[minute.stableSide] ?? null,
        candidate: minute.versions[settings.candidateVersion] ?? null,
      })),
    queueSummary: () => source.queueSummary?.(),
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

function scenarioBaselineMinutes(scenario: Scenario): number {
  const analysis = scenario.analysis as { baselineMinutes?: unknown } | undefined;
  return typeof analysis?.baselineMinutes === 'number' ? analysis.baselineMinutes : 15;
}

/** The alias' routing as fractions by version. */
function sharesOf(alias: AliasState): Record<string, number> {
  const shares: Record<string, number> = {};
  let additional = 0;
  for (const [version, percent] of Object.entries(alias.weights)) {
    if (percent <= 0) continue;
    shares[version] = percent / 100;
    additional += percent / 100;
  }
  shares[alias.version] = (shares[alias.version] ?? 0) + Math.max(0, 1 - additional);
  return shares;
}

/** The routing averaged over [from, to): a shift in mid-minute counts for the part of the minute after it. */
function averageShares(routing: RoutingSegment[], from: number, to: number): Record<string, number> {
  const shares: Record<string, number> = {};
  for (let i = 0; i < routing.length; i++) {
    const segment = routing[i]!;
    const segmentEnd = routing[i + 1]?.from ?? Infinity;
    const overlap = Math.min(to, segmentEnd) - Math.max(from, segment.from);
    if (overlap <= 0) continue;
    for (const [version, share] of Object.entries(segment.shares)) {
      shares[version] = (shares[version] ?? 0) + (share * overlap) / (to - from);
    }
  }
  return shares;
}

/** The version other than the candidate that carries the most traffic (the "stable" side). */
function mainOther(shares: Record<string, number>, candidate: string): string | undefined {
  let best: string | undefined;
  let bestShare = -1;
  for (const [version, share] of Object.entries(shares)) {
    if (version === candidate || share <= bestShare) continue;
    best = version;
    bestShare = share;
  }
  return best;
}

/** CloudWatch has no datapoint for a version that served nothing in a minute. */
function hasDatapoint(figures: VersionMinute): boolean {
  return figures.invocations > 0 || figures.errors > 0 || figures.throttles > 0;
}

function snapshot(alias: AliasState): AliasState {
  return { ...alias, weights: { ...alias.weights } };
}

/** A UUID-shaped revision id, deterministic per seed and change. */
function revisionId(seed: number, counter: number): string {
  const hex = [1, 2, 3, 4].map((part) => mixSeed(seed, counter, part).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function lambdaError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
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

function wrapQueues(faults: FaultInjector, inner: QueueInspector): QueueInspector {
  return {
    listQueueSources: (functionName) => faults.call('queues.listQueueSources', [functionName], () => inner.listQueueSources(functionName)),
    depth: (url) => faults.call('queues.depth', [url], () => inner.depth(url)),
    redrive: (dlq, target, since) => faults.call('queues.redrive', [dlq, target, since], () => inner.redrive(dlq, target, since)),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
