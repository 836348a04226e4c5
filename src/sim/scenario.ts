/**
 * Scenarios: one JSON file describes a simulated function, its traffic, and how the candidate
 * version behaves (docs/contract.md §2; scenarios/README.md documents every field). The local runner
 * and the benchmark both read them through `parseScenario`, so a file means the same to both.
 *
 * Every field of the contract is accepted, and a field it does not know is refused (one line naming
 * each, with the known field it is closest to), so a typo such as `errorRte` never runs silently as
 * the default. A candidate field left out means "behaves as stable does".
 *
 * @example
 * const scenario = loadScenario('error-3x');          // scenarios/error-3x.json
 * const custom = loadScenario('./my-scenario.json');  // a path
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { JsonInputError, parseJsonText } from '../core/json.ts';
import { readInputFile } from '../input-file.ts';
import { clip, closest } from '../core/request.ts';
import { queueSettlingMinutes } from './queue/settling.ts';
import { packageFile } from '../package-files.ts';
import { analysisSchema } from '../core/judge/index.ts';
import { parseStrategy } from '../core/strategy.ts';

/** Lambda runs an invocation for at most 15 minutes: a duration beyond is a typo, and would overflow the draws. */
const MAX_DURATION_MS = 900_000;
const durationMs = z.number().positive().max(MAX_DURATION_MS, `at most ${MAX_DURATION_MS} (15 minutes, Lambda's longest invocation)`);

const latencySchema = z.strictObject({
  median: durationMs,
  p99: durationMs,
});

/**
 * A custom (business) metric as the simulator emits it, per version, by the metric's id.
 * `rate`: a count metric, events per invocation (e.g. failed checkouts); `mean`/`sd`: a gauge.
 */
const customMetricBehaviourSchema = z.union([
  z.strictObject({ rate: z.number().min(0) }),
  z.strictObject({ mean: z.number(), sd: z.number().min(0).default(0) }),
]);

/** Extensions the SQS queue model reads (src/sim/queue.ts, scenarios/README.md), per version. */
const queueVersionBehaviour = {
  /** Share of messages that fail on every attempt, whatever the version. */
  poisonRate: z.number().min(0).max(1).optional(),
  /** Messages a version handles per unit of time, relative to 1. */
  throughputFactor: z.number().positive().optional(),
};

const versionBehaviour = {
  errorRate: z.number().min(0).max(1),
  latencyMs: latencySchema,
  /** Extension: share of attempts throttled (not invoked). */
  throttleRate: z.number().min(0).max(1),
  /**
   * Extension: share of invocations that run until the function's timeout (`account.timeoutSeconds`)
   * and fail. Lambda stamps their metrics with the start time but sends them when they end, so the
   * simulated CloudWatch shows them only then.
   */
  timeoutRate: z.number().min(0).max(1),
  /** Extension: custom metrics this version emits, by id. */
  custom: z.record(z.string(), customMetricBehaviourSchema),
  /** Share of invocations that start a new execution environment (a cold start, with an init phase). */
  coldStartRate: z.number().min(0).max(1),
  /** Median init duration of a cold start, in ms (Lambda's `Init Duration` on the REPORT line). */
  initDurationMs: z.number().positive(),
};

/**
 * A steady function's cold starts when a scenario says nothing: AWS says they "typically occur in
 * under 1% of invocations", and a Node.js function with a few SDK clients inits in a few hundred ms.
 */
export const DEFAULT_COLD_START_RATE = 0.005;
export const DEFAULT_INIT_DURATION_MS = 250;

const stableSchema = z.strictObject({
  errorRate: versionBehaviour.errorRate,
  latencyMs: versionBehaviour.latencyMs.default({ median: 80, p99: 400 }),
  throttleRate: versionBehaviour.throttleRate.default(0),
  timeoutRate: versionBehaviour.timeoutRate.default(0),
  custom: versionBehaviour.custom.default({}),
  coldStartRate: versionBehaviour.coldStartRate.default(DEFAULT_COLD_START_RATE),
  initDurationMs: versionBehaviour.initDurationMs.default(DEFAULT_INIT_DURATION_MS),
  ...queueVersionBehaviour,
});

const candidateSchema = z.strictObject({
  errorRate: versionBehaviour.errorRate.optional(),
  latencyMs: versionBehaviour.latencyMs.optional(),
  throttleRate: versionBehaviour.throttleRate.optional(),
  timeoutRate: versionBehaviour.timeoutRate.optional(),
  custom: versionBehaviour.custom.optional(),
  coldStartRate: versionBehaviour.coldStartRate.optional(),
  initDurationMs: versionBehaviour.initDurationMs.optional(),
  /** Minutes after the first shift at which the candidate starts behaving as described. */
  fromMinute: z.number().min(0).default(0),
  ...queueVersionBehaviour,
  /** SQS: the candidate's invocations time out while more than this many run at once. */
  timeoutUnderLoad: z.strictObject({ concurrencyAbove: z.number().int().min(0) }).optional(),
});

export const TRAFFIC_PATTERNS = ['steady', 'diurnal', 'bursty'] as const;

/** Minutes of stable-only traffic simulated before the canary starts, for the baseline. */
export const DEFAULT_WARMUP_MINUTES = 30;

/**
 * Minutes of stable-only traffic before the canary: enough for the scenario's baseline, and at least
 * the default. An SQS queue's warm-up also lets a failing message's whole life pass before the
 * baseline (`queueSettlingMinutes`): without it, a queue whose messages take longer than the
 * warm-up to dead-letter showed no dead letters in its baseline and a steady stream in the canary.
 */
export function warmupMinutesFor(scenario: { analysis?: unknown; trigger?: unknown; queue?: unknown }): number {
  const analysis = scenario.analysis as { baselineMinutes?: unknown } | undefined;
  const baselineMinutes = typeof analysis?.baselineMinutes === 'number' ? analysis.baselineMinutes : 15;
  const queue = scenario.trigger === 'sqs' ? (scenario.queue as Record<string, unknown> | undefined) : undefined;
  const settling =
    queue && typeof queue['visibilityTimeoutSeconds'] === 'number'
      ? queueSettlingMinutes({
          ...(queue['dlq'] === false || typeof queue['maxReceiveCount'] !== 'number' ? {} : { maxReceiveCount: queue['maxReceiveCount'] }),
          visibilityTimeoutSeconds: queue['visibilityTimeoutSeconds'],
          batchingWindowSeconds: typeof queue['batchingWindowSeconds'] === 'number' ? queue['batchingWindowSeconds'] : 0,
        })
      : 0;
  return Math.max(DEFAULT_WARMUP_MINUTES, baselineMinutes + 5 + settling);
}

/**
 * What one run may ask of the simulator, so that a typo (a rate or horizon a few zeros too long) is
 * refused by name instead of running for hours or filling memory: a horizon of a week, a billion
 * requests a minute at the traffic's peak, and ten million messages through the queue model (which,
 * unlike the request model, follows each message).
 */
export const SCENARIO_LIMITS = Object.freeze({
  minutes: 7 * 24 * 60,
  requestsPerMinute: 1e9,
  queueMessages: 10_000_000,
});

const trafficSchema = z.strictObject({
  /** Required for `api`; for `sqs`, the message rate when `queue.messagesPerMinute` is not given (else ignored). */
  requestsPerMinute: z.number().min(0).optional(),
  pattern: z.enum(TRAFFIC_PATTERNS).default('steady'),
  amplitude: z.number().min(0).default(0),
  /** Extension (diurnal): the minute of the day at which the scenario starts. */
  offsetMinutes: z.number().default(0),
  /** Extension (bursty): mean minutes between the starts of bursts, and mean burst length. */
  burstEveryMinutes: z.number().min(1).default(20),
  burstMinutes: z.number().min(1).default(3),
});

const queueSchema = z.strictObject({
  /** The message rate; may be left to `traffic.requestsPerMinute`. */
  messagesPerMinute: z.number().min(0).optional(),
  batchSize: z.number().int().min(1).max(10_000).default(10),
  visibilityTimeoutSeconds: z.number().int().min(0).max(43_200).default(30),
  maxReceiveCount: z.number().int().min(1).max(1000).default(5),
  // Extensions of the queue model (src/sim/queue.ts): the mapping and queue as set up on the account.
  batchingWindowSeconds: z.number().int().min(0).max(300).optional(),
  reportBatchItemFailures: z.boolean().optional(),
  functionTimeoutSeconds: z.number().positive().max(900).optional(),
  maxConcurrency: z.number().int().min(2).max(1000).optional(),
  invocationOverheadMs: z.number().min(0).optional(),
  /** false: the queue has no DLQ (maxReceiveCount is then ignored). */
  dlq: z.boolean().optional(),
  dlqDepthAtStart: z.number().int().min(0).optional(),
  fifo: z.boolean().optional(),
  /** What the event source mapping invokes: the alias (default), the unqualified function, or a version. */
  mappingOn: z.enum(['alias', 'function', 'version']).optional(),
});

/** A CodeDeploy-style name, or explicit steps; src/core/strategy.ts gives it meaning. */
const strategySchema = z.union(
  [z.string().min(1), z.strictObject({ steps: z.array(z.number()).min(1), intervalMinutes: z.number().positive() })],
  { error: 'must be a strategy name, e.g. "Canary10Percent5Minutes", or { "steps": [5, 20, 50], "intervalMinutes": 5 }' },
);

const scenarioBase = z.looseObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** What a correct judge does. Optional for `run`; the benchmark requires it. */
  expect: z.enum(['promote', 'rollback']).optional(),
  /** The horizon, in minutes after the first shift: no decision by then is `undecided`. */
  minutes: z.number().int().positive().max(SCENARIO_LIMITS.minutes, `at most ${SCENARIO_LIMITS.minutes} (a week)`).default(120),
  trigger: z.enum(['api', 'sqs']).default('api'),
  traffic: trafficSchema.optional(),
  stable: stableSchema,
  candidate: candidateSchema.default({ fromMinute: 0 }),
  queue: queueSchema.optional(),
  strategy: strategySchema.optional(),
  /** Extension: analysis settings for the canary request (as the request's `analysis`). */
  analysis: z.unknown().optional(),
  /** The simulated function (src/sim/account.ts checks it). */
  account: z.unknown().optional(),
  /** Where a parsed scenario was read from: a parsed scenario parses again as itself. */
  source: z.string().optional(),
});

export const scenarioSchema = scenarioBase.superRefine((value, ctx) => {
  if (value.trigger === 'api' && value.traffic?.requestsPerMinute === undefined) {
    ctx.addIssue({ code: 'custom', path: value.traffic ? ['traffic', 'requestsPerMinute'] : ['traffic'], message: 'required when trigger is api' });
  }
  if (value.trigger === 'sqs' && value.queue?.messagesPerMinute === undefined && value.traffic?.requestsPerMinute === undefined) {
    const message = 'required when trigger is sqs (or traffic.requestsPerMinute as the message rate)';
    ctx.addIssue({ code: 'custom', path: value.queue ? ['queue', 'messagesPerMinute'] : ['queue'], message });
  }
  if (value.traffic?.pattern === 'steady' && value.traffic.amplitude !== 0) {
    ctx.addIssue({ code: 'custom', path: ['traffic', 'amplitude'], message: 'steady traffic has no amplitude (it would be ignored); use pattern "diurnal" or "bursty", or remove it' });
  }
  checkWork(value, ctx);
  for (const [side, latency] of [['stable', value.stable.latencyMs], ['candidate', value.candidate.latencyMs]] as const) {
    if (latency !== undefined && !(latency.p99 > latency.median)) {
      ctx.addIssue({ code: 'custom', path: [side, 'latencyMs', 'p99'], message: `must be above the median (${latency.median})` });
    }
  }
  if (value.analysis !== undefined) {
    const parsed = analysisSchema.safeParse(value.analysis);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['analysis', ...issue.path] } as never);
    }
  }
});

/** The traffic's highest rate over its base rate: diurnal peaks at 1 + amplitude, a burst runs at amplitude × the base. */
function peakFactor(traffic: { pattern: TrafficPattern; amplitude: number } | undefined): number {
  if (traffic?.pattern === 'diurnal') return 1 + traffic.amplitude;
  if (traffic?.pattern === 'bursty') return Math.max(1, traffic.amplitude);
  return 1;
}

/** Refuses a scenario whose traffic at its peak, or whose messages over the horizon, are beyond SCENARIO_LIMITS. */
function checkWork(value: z.output<typeof scenarioBase>, ctx: z.RefinementCtx): void {
  const factor = peakFactor(value.traffic);
  const shaped = factor === 1 ? '' : ` (× ${factor} at the ${value.traffic!.pattern} peak)`;
  const queueRate = value.trigger === 'sqs' ? value.queue?.messagesPerMinute : undefined;
  const rate = queueRate ?? value.traffic?.requestsPerMinute;
  if (rate === undefined) return;
  const path = queueRate !== undefined ? ['queue', 'messagesPerMinute'] : ['traffic', 'requestsPerMinute'];
  if (rate * factor > SCENARIO_LIMITS.requestsPerMinute) {
    ctx.addIssue({ code: 'custom', path, message: `${rate.toLocaleString('en-US')} a minute${shaped} is beyond the simulator's ${SCENARIO_LIMITS.requestsPerMinute.toLocaleString('en-US')} a minute` });
    return;
  }
  // The queue model follows every message from the first warm-up minute to the horizon.
  const minutes = warmupMinutesFor(value) + value.minutes;
  if (value.trigger === 'sqs' && rate * factor * minutes > SCENARIO_LIMITS.queueMessages) {
    const messages = Math.round(rate * factor * minutes);
    ctx.addIssue({
      code: 'custom',
      path,
      message: `${rate.toLocaleString('en-US')} a minute${shaped} for ${minutes} minutes (the warm-up included) is ${messages.toLocaleString('en-US')} messages; the queue model follows at most ${SCENARIO_LIMITS.queueMessages.toLocaleString('en-US')} (lower the rate or minutes)`,
    });
  }
}

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type CustomMetricBehaviour = { rate: number } | { mean: number; sd: number };
export type TrafficPattern = (typeof TRAFFIC_PATTERNS)[number];

/** How one version behaves, with every field resolved. */
export interface VersionBehaviour {
  errorRate: number;
  latencyMs: { median: number; p99: number };
  throttleRate: number;
  /** Share of invocations that time out (and fail) at the function's timeout. */
  timeoutRate: number;
  custom: Record<string, CustomMetricBehaviour>;
  /** Share of invocations that are cold starts, and their median init duration in ms. */
  coldStartRate: number;
  initDurationMs: number;
}

export interface ScenarioTraffic {
  requestsPerMinute: number;
  pattern: TrafficPattern;
  amplitude: number;
  offsetMinutes: number;
  burstEveryMinutes: number;
  burstMinutes: number;
  [extension: string]: unknown;
}

export interface ScenarioQueue {
  messagesPerMinute: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  [extension: string]: unknown;
}

/** A parsed scenario: defaults filled in, the candidate's missing fields taken from stable. */
export interface Scenario {
  name: string;
  description: string;
  expect?: 'promote' | 'rollback';
  minutes: number;
  trigger: 'api' | 'sqs';
  traffic?: ScenarioTraffic;
  stable: VersionBehaviour & { [extension: string]: unknown };
  candidate: VersionBehaviour & { fromMinute: number; [extension: string]: unknown };
  queue?: ScenarioQueue;
  /** Raw: a CodeDeploy-style name or `{ steps, intervalMinutes }` (src/core/strategy.ts parses it). */
  strategy?: string | { steps: number[]; intervalMinutes: number; [extension: string]: unknown };
  /** Raw analysis settings for the request (already checked against analysisSchema). */
  analysis?: unknown;
  /** Where it was read from (a path, or the label given to parseScenario). */
  source: string;
  [extension: string]: unknown;
}

/**
 * Validates a scenario (a parsed JSON value or its text). Throws InvalidRequestError with one
 * line that names the source and the field, e.g. `error-3x.json: candidate.errorRate: …`.
 */
export function parseScenario(json: unknown, source: string): Scenario {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = parseJsonText(json);
    } catch (error) {
      if (error instanceof JsonInputError) throw new InvalidRequestError(`${source}: ${error.message}`, { cause: error });
      throw new InvalidRequestError(`${source}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('name' in value)) {
    value = { ...value, name: basename(source).replace(/\.json$/, '') };
  }
  const unknown = unknownFields(value);
  if (unknown) throw new InvalidRequestError(`${source}: ${unknown}`);
  const result = scenarioSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : '(scenario)';
    throw new InvalidRequestError(`${source}: ${field}: ${issue.message}`);
  }
  const parsed = result.data;
  // The strategy's own rules (a known name, weights that increase…) refuse it here, before any run.
  if (parsed.strategy !== undefined) {
    try {
      parseStrategy(parsed.strategy);
    } catch (error) {
      throw new InvalidRequestError(`${source}: ${(error as Error).message}`, { cause: error });
    }
  }
  const stable: Scenario['stable'] = {
    ...parsed.stable,
    latencyMs: { median: parsed.stable.latencyMs.median, p99: parsed.stable.latencyMs.p99 },
    custom: parsed.stable.custom as Record<string, CustomMetricBehaviour>,
  };
  const candidateCustom = { ...stable.custom, ...((parsed.candidate.custom ?? {}) as Record<string, CustomMetricBehaviour>) };
  const candidateLatency = parsed.candidate.latencyMs ?? stable.latencyMs;
  const candidate: Scenario['candidate'] = {
    ...parsed.candidate,
    errorRate: parsed.candidate.errorRate ?? stable.errorRate,
    latencyMs: { median: candidateLatency.median, p99: candidateLatency.p99 },
    throttleRate: parsed.candidate.throttleRate ?? stable.throttleRate,
    timeoutRate: parsed.candidate.timeoutRate ?? stable.timeoutRate,
    custom: candidateCustom,
    coldStartRate: parsed.candidate.coldStartRate ?? stable.coldStartRate,
    initDurationMs: parsed.candidate.initDurationMs ?? stable.initDurationMs,
    fromMinute: parsed.candidate.fromMinute,
  };
  const { traffic: _traffic, queue: _queue, ...rest } = parsed;
  const { traffic, queue } = rates(parsed);
  return { ...rest, ...(traffic ? { traffic } : {}), ...(queue ? { queue } : {}), stable, candidate, source };
}

/**
 * One rate for the traffic model and the queue model. For `sqs`, `queue.messagesPerMinute` is the
 * message rate and `traffic` only shapes it (its `requestsPerMinute` is ignored when the queue gives
 * one, else it is the rate); a queue left out is the default queue at that rate.
 */
function rates(parsed: z.output<typeof scenarioSchema>): { traffic?: ScenarioTraffic; queue?: ScenarioQueue } {
  if (parsed.trigger === 'api') {
    const rate = parsed.traffic!.requestsPerMinute!;
    return {
      traffic: { ...parsed.traffic!, requestsPerMinute: rate },
      ...(parsed.queue ? { queue: { ...parsed.queue, messagesPerMinute: parsed.queue.messagesPerMinute ?? rate } } : {}),
    };
  }
  const rate = parsed.queue?.messagesPerMinute ?? parsed.traffic!.requestsPerMinute!;
  return {
    ...(parsed.traffic ? { traffic: { ...parsed.traffic, requestsPerMinute: rate } } : {}),
    queue: { ...queueSchema.parse({}), ...parsed.queue, messagesPerMinute: rate },
  };
}

/**
 * Every field the scenario format does not know, in one line, each with the known field nearest to
 * it when that looks like a typo: `unknown fields stable.errorRte (did you mean "errorRate"?)`.
 * Walks the whole value, so that a typo deep inside is named together with one at the top.
 */
function unknownFields(value: unknown): string | undefined {
  const names: string[] = [];
  walk(scenarioSchema, value, [], names);
  if (names.length === 0) return undefined;
  return `unknown field${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
}

function walk(schema: z.ZodType, value: unknown, path: string[], names: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  let inner: unknown = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap();
  if (inner instanceof z.ZodRecord) {
    for (const [key, item] of Object.entries(value)) walk(inner.valueType as z.ZodType, item, [...path, key], names);
    return;
  }
  // An object, or a union of objects (a custom metric's behaviour): the fields of any member are known.
  const members = inner instanceof z.ZodUnion ? (inner.options as unknown[]) : [inner];
  const shape: Record<string, z.ZodType> = Object.assign({}, ...members.filter((member) => member instanceof z.ZodObject).map((member) => member.shape));
  if (Object.keys(shape).length === 0) return;
  for (const [key, item] of Object.entries(value)) {
    const known = shape[key];
    if (known && Object.hasOwn(shape, key)) {
      walk(known, item, [...path, key], names);
      continue;
    }
    const suggestion = closest(key, Object.keys(shape));
    names.push(`${clip([...path, key].join('.')) || '""'}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
  }
}

/** The scenarios shipped with Coalmine (the repository's `scenarios/` folder). */
export const BUILT_IN_SCENARIOS_DIR = packageFile('scenarios');

/**
 * Reads a scenario by bare name (`healthy` → `scenarios/healthy.json`) or by path.
 * Throws InvalidRequestError when it does not exist or is not a valid scenario.
 */
export function loadScenario(nameOrPath: string): Scenario {
  const isName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(nameOrPath) && !nameOrPath.endsWith('.json');
  const path = isName ? join(BUILT_IN_SCENARIOS_DIR, `${nameOrPath}.json`) : resolve(nameOrPath);
  if (!existsSync(path)) {
    const known = isName ? `; known: ${scenarioFiles(BUILT_IN_SCENARIOS_DIR).map((file) => basename(file, '.json')).join(', ')}` : '';
    throw new InvalidRequestError(`scenario: ${nameOrPath} not found${known}`);
  }
  const shown = isName ? `${nameOrPath}.json` : nameOrPath;
  return parseScenario(readInputFile('scenario', path, shown), shown);
}

/** Every scenario (`*.json`) in a folder, sorted by file name. */
export function listScenarios(dir: string = BUILT_IN_SCENARIOS_DIR): Scenario[] {
  if (!existsSync(dir)) throw new InvalidRequestError(`scenarios: ${dir} not found`);
  return scenarioFiles(dir).map((file) => parseScenario(readInputFile('scenario', file, file), file));
}

function scenarioFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    // A folder named like a scenario (`old.json/`) is not one; a dangling link stays, to be named when read.
    .filter((file) => file.endsWith('.json') && !isFolder(join(dir, file)))
    .sort()
    .map((file) => join(dir, file));
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
