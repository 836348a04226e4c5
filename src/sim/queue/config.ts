/**
 * The queue model's configuration: how the queue, the event source mapping and each version behave,
 * and how an SQS scenario (with its optional extensions) becomes one.
 */
import type { Scenario } from '../scenario.ts';
import { TrafficModel } from '../traffic.ts';

/** How one version processes messages. */
export interface QueueVersionBehaviour {
  /** Chance that one attempt at one message fails (transiently: a retry may succeed). */
  errorRate: number;
  /** Processing time of one message, log-normal with this median and 99th percentile. */
  latencyMs: { median: number; p99: number };
  /** Share of messages this version fails on every attempt (poison for this version). */
  poisonRate: number;
  /** Processing speed relative to `latencyMs`: 0.25 means four times slower. */
  throughputFactor: number;
  /** Invocations started while more than this many are running time out. Absent: never. */
  timeoutAboveConcurrency?: number;
}

export interface QueueConfig {
  /** Mean messages sent in an absolute minute (the Poisson mean). */
  messagesPerMinute: (minute: number) => number;
  batchSize: number;
  batchingWindowSeconds: number;
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the DLQ; absent means there is no DLQ. */
  maxReceiveCount?: number;
  reportBatchItemFailures: boolean;
  functionTimeoutSeconds: number;
  /** Most batches in flight at once (the mapping's MaximumConcurrency, or reserved concurrency). */
  maxConcurrency: number;
  /** Fixed cost of one invocation, in ms. */
  invocationOverheadMs: number;
  /** Messages already in the DLQ before the simulation starts: older failures that must stay there. */
  dlqDepthAtStart: number;
  stable: QueueVersionBehaviour;
  candidate: QueueVersionBehaviour;
  /** Seconds after the first shift at which the candidate starts behaving as `candidate` (before: as stable). */
  candidateFromSeconds: number;
}

/** Rejects a configuration the model cannot run, naming the field. */
export function validateQueueConfig(config: QueueConfig): void {
  const positive: [string, number][] = [
    ['batchSize', config.batchSize],
    ['maxConcurrency', config.maxConcurrency],
    ['functionTimeoutSeconds', config.functionTimeoutSeconds],
    ['stable.throughputFactor', config.stable.throughputFactor],
    ['candidate.throughputFactor', config.candidate.throughputFactor],
  ];
  for (const [field, value] of positive) {
    if (!(value > 0)) throw new RangeError(`queue ${field}: must be above 0, got ${value}`);
  }
  if (config.maxReceiveCount !== undefined && !(config.maxReceiveCount >= 1)) {
    throw new RangeError(`queue maxReceiveCount: must be at least 1, got ${config.maxReceiveCount}`);
  }
}

/**
 * The queue and candidate fields that SQS scenarios may add (scenarios/README.md): the contract's
 * `queue` fields plus these extensions, all optional.
 */
export interface QueueScenarioExtensions {
  queue?: {
    batchingWindowSeconds?: number;
    reportBatchItemFailures?: boolean;
    functionTimeoutSeconds?: number;
    maxConcurrency?: number;
    invocationOverheadMs?: number;
    /** false: the queue has no DLQ (then maxReceiveCount is ignored). */
    dlq?: boolean;
    dlqDepthAtStart?: number;
  };
  stable?: { poisonRate?: number; throughputFactor?: number };
  candidate?: { poisonRate?: number; throughputFactor?: number; timeoutUnderLoad?: { concurrencyAbove: number } };
  /** The function's own timeout, when the scenario sets it (src/sim/account/settings.ts). */
  account?: { timeoutSeconds?: number };
}

/** Defaults for the extensions, chosen to match a well-set-up queue (no warnings from Plan). */
export const QUEUE_DEFAULTS = {
  batchingWindowSeconds: 0,
  reportBatchItemFailures: true,
  functionTimeoutSeconds: 5,
  maxConcurrency: 50,
  invocationOverheadMs: 5,
  dlqDepthAtStart: 0,
} as const;

/**
 * The queue model of an SQS scenario. Arrivals follow `traffic`'s pattern when the scenario has one
 * (its requestsPerMinute then is the message rate), else a steady `queue.messagesPerMinute`.
 */
export function queueConfigFromScenario(scenario: Scenario, seed: number): QueueConfig {
  const queue = scenario.queue;
  if (!queue) throw new RangeError(`${scenario.name}: an SQS scenario needs a queue`);
  const extra = scenario as unknown as QueueScenarioExtensions;
  const q = extra.queue ?? {};
  const traffic = scenario.traffic ? new TrafficModel(scenario, seed) : undefined;
  const steady = queue.messagesPerMinute;
  const stableExtra = extra.stable ?? {};
  const candidateExtra = extra.candidate ?? {};
  const timeoutUnderLoad = candidateExtra.timeoutUnderLoad?.concurrencyAbove;
  return {
    messagesPerMinute: traffic ? (minute) => traffic.requestsPerMinute(minute) : () => steady,
    batchSize: queue.batchSize,
    batchingWindowSeconds: q.batchingWindowSeconds ?? QUEUE_DEFAULTS.batchingWindowSeconds,
    visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
    ...(q.dlq === false ? {} : { maxReceiveCount: queue.maxReceiveCount }),
    reportBatchItemFailures: q.reportBatchItemFailures ?? QUEUE_DEFAULTS.reportBatchItemFailures,
    // The function has one timeout: the account's, when the scenario gives it and the queue does not.
    functionTimeoutSeconds: q.functionTimeoutSeconds ?? extra.account?.timeoutSeconds ?? QUEUE_DEFAULTS.functionTimeoutSeconds,
    maxConcurrency: q.maxConcurrency ?? QUEUE_DEFAULTS.maxConcurrency,
    invocationOverheadMs: q.invocationOverheadMs ?? QUEUE_DEFAULTS.invocationOverheadMs,
    dlqDepthAtStart: q.dlqDepthAtStart ?? QUEUE_DEFAULTS.dlqDepthAtStart,
    stable: {
      errorRate: scenario.stable.errorRate,
      latencyMs: scenario.stable.latencyMs,
      poisonRate: stableExtra.poisonRate ?? 0,
      throughputFactor: stableExtra.throughputFactor ?? 1,
    },
    candidate: {
      errorRate: scenario.candidate.errorRate,
      latencyMs: scenario.candidate.latencyMs,
      poisonRate: candidateExtra.poisonRate ?? stableExtra.poisonRate ?? 0,
      throughputFactor: candidateExtra.throughputFactor ?? stableExtra.throughputFactor ?? 1,
      ...(timeoutUnderLoad === undefined ? {} : { timeoutAboveConcurrency: timeoutUnderLoad }),
    },
    candidateFromSeconds: 60 * scenario.candidate.fromMinute,
  };
}
