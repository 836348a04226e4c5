/**
 * The queue model as the simulated account's minute source (src/sim/minute-source.ts): the account
 * asks it for minutes and hears of routing changes; Plan, Evaluate and Roll back reach the
 * mapping, the queue and the DLQ through its QueueInspector.
 */
import type { QueueInspector, QueueSource } from '../../core/ports.ts';
import { queueBaselineLatencyMs } from '../baseline.ts';
import type { MinuteContext, MinuteSource, MinuteSourceContext, SourceMinute } from '../minute-source.ts';
import { queueConfigFromScenario } from './config.ts';
import { stableQueueHistory } from './history.ts';
import { SimulatedQueue } from './model.ts';
import { cloudWatchQueueMinute, type QueueAccounting } from './records.ts';

/** Where the event source mapping of a scenario points (an extension, to exercise Plan's checks). */
export const MAPPING_TARGETS = ['alias', 'function', 'version'] as const;

/** What the queue source needs of the simulated account. */
export interface QueueAccountSettings {
  functionName: string;
  alias: string;
  stableVersion: string;
  region?: string;
  accountId?: string;
}

/** The queue model as the simulated account's minute source, with the queue's QueueInspector. */
export interface QueueMinuteSource extends MinuteSource {
  readonly model: SimulatedQueue;
  queues: QueueInspector;
  queueSummary(): QueueAccounting;
  /** Invocations of a side in a minute slower than a threshold, counted from their durations. */
  slowCount(index: number, side: 'stable' | 'candidate', thresholdMs: number): number;
  /**
   * Messages the candidate failed beyond what stable's failure rate (per delivered message, over the
   * run) would have failed on the same deliveries, over the minutes before `endIndex`; ≥ 0.
   */
  excessFailures(endIndex: number): number;
  /** DLQ depth at the end of a simulated minute (undefined for a minute not simulated yet). */
  dlqDepthAt(index: number): number | undefined;
}

/**
 * The queue model of an SQS scenario as a minute source for the simulated account (src/sim/account): routing changes
 * reach the model at the moment they happen, each minute the account asks for is simulated to its
 * end, and the mapping, queue and DLQ are served through the QueueInspector port — a depth or a
 * redrive first brings the queue up to the account's clock.
 *
 * @example
 * const account = createSimAccount(scenario, { seed, source: (context) => queueMinuteSource(context, accountSettings(scenario)) });
 */
export function queueMinuteSource(context: MinuteSourceContext, settings: QueueAccountSettings): QueueMinuteSource {
  const { scenario, seed } = context;
  const origin = context.simulationStart.getTime();
  /** Seconds of model time for an account time, never before where the model already is. */
  const secondsAt = (at: Date): number => Math.max(model.time, (at.getTime() - origin) / 1000);
  const catchUp = (): void => model.advanceTo(secondsAt(context.now()));
  const config = queueConfigFromScenario(scenario, seed);
  const model = new SimulatedQueue(config, seed);
  const region = settings.region ?? 'us-east-1';
  const accountId = settings.accountId ?? '123456789012';
  const extra = ((scenario as unknown as { queue?: { fifo?: boolean; mappingOn?: string } }).queue ?? {});
  const queueName = `${settings.functionName}-events${extra.fifo ? '.fifo' : ''}`;
  const dlqName = `${settings.functionName}-events-dlq${extra.fifo ? '.fifo' : ''}`;
  const url = (name: string) => `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
  const arn = (name: string) => `arn:aws:sqs:${region}:${accountId}:${name}`;
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${settings.functionName}`;
  const mappingOn = (MAPPING_TARGETS as readonly string[]).includes(extra.mappingOn ?? '') ? extra.mappingOn : 'alias';
  const qualifier = mappingOn === 'alias' ? `:${settings.alias}` : mappingOn === 'version' ? `:${settings.stableVersion}` : '';
  const dlqDepths: number[] = [];

  const source: QueueSource = {
    mappingId: `${settings.functionName}-sqs-mapping`,
    functionArn: `${functionArn}${qualifier}`,
    queueArn: arn(queueName),
    queueUrl: url(queueName),
    queueName,
    fifo: extra.fifo === true,
    batchSize: config.batchSize,
    batchingWindowSeconds: config.batchingWindowSeconds,
    reportBatchItemFailures: config.reportBatchItemFailures,
    enabled: true,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    ...(config.maxReceiveCount === undefined ? {} : { dlq: { arn: arn(dlqName), url: url(dlqName), name: dlqName, maxReceiveCount: config.maxReceiveCount } }),
    metricsEnabled: false,
  };

  const queues: QueueInspector = {
    listQueueSources: async (functionName) => (functionName === settings.functionName || functionName === functionArn ? [{ ...source, ...(source.dlq ? { dlq: { ...source.dlq } } : {}) }] : []),
    depth: async (queueUrl) => {
      catchUp();
      if (queueUrl === source.queueUrl) return model.visibleDepth();
      if (source.dlq && queueUrl === source.dlq.url) return model.dlqDepth();
      throw queueDoesNotExist(queueUrl);
    },
    redrive: async (dlq, target, since) => {
      if (!source.dlq || dlq.url !== source.dlq.url) throw queueDoesNotExist(dlq.url);
      if (target.url !== source.queueUrl) throw queueDoesNotExist(target.url);
      const at = Date.parse(since);
      if (Number.isNaN(at)) throw new RangeError(`redrive: not a time: ${since}`);
      catchUp();
      const examined = model.dlqDepth();
      const moved = model.redrive(Math.max(0, (at - origin) / 1000));
      // The model reads its whole DLQ at once: nothing is left unread, nothing fails to move.
      return { moved, examined, notMoved: 0, inBothQueues: 0, complete: true };
    },
  };

  return {
    model,
    queues,
    routingChanged(at: Date, candidateShare: number): void {
      model.advanceTo(secondsAt(at));
      model.setCandidateShare(Math.min(1, Math.max(0, candidateShare)));
    },
    minute({ index }: MinuteContext): SourceMinute {
      model.advanceTo(Math.max(model.time, (index + 1) * 60));
      const record = model.minute(index);
      if (!record) throw new RangeError(`queue model: minute ${index} was not simulated`);
      dlqDepths[index] = record.queue.dlqVisible;
      return {
        stable: model.versionMinute(index, 'stable') ?? { invocations: 0, errors: 0, throttles: 0 },
        candidate: model.versionMinute(index, 'candidate') ?? { invocations: 0, errors: 0, throttles: 0 },
        queue: cloudWatchQueueMinute(record),
      };
    },
    expectedSlowFraction: (side, _minutesSinceShift, thresholdMs) => {
      const durations = model.minutes().flatMap((record) => record[side].durationsMs);
      return durations.length ? durations.filter((ms) => ms > thresholdMs).length / durations.length : 0;
    },
    slowCount: (index, side, thresholdMs) => (model.minute(index)?.[side].durationsMs ?? []).filter((ms) => ms > thresholdMs).length,
    baselineLatencyMs: (percentile, minutes) => {
      const records = minutes.map((index) => model.minute(index)).filter((record) => record !== undefined);
      return queueBaselineLatencyMs(records, percentile) ?? config.stable.latencyMs.p99;
    },
    stableErrorRate: () => config.stable.errorRate,
    queueHistory: (hours) => stableQueueHistory(config, seed, hours),
    excessFailures: (endIndex) => {
      let stableFailed = 0;
      let stableMessages = 0;
      let candidateFailed = 0;
      let candidateMessages = 0;
      for (const record of model.minutes()) {
        if (record.minute >= endIndex) break;
        stableFailed += record.stable.failedMessages;
        stableMessages += record.stable.messages;
        candidateFailed += record.candidate.failedMessages;
        candidateMessages += record.candidate.messages;
      }
      const stableRate = stableMessages > 0 ? stableFailed / stableMessages : 0;
      return Math.max(0, candidateFailed - candidateMessages * stableRate);
    },
    dlqDepthAt: (index) => dlqDepths[index],
    queueSummary: () => model.accounting(),
  };
}

function queueDoesNotExist(url: string): Error {
  const error = new Error(`The specified queue does not exist: ${url}`);
  error.name = 'QueueDoesNotExist';
  return error;
}
