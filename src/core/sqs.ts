/**
 * Event-driven canaries: what Plan checks about an SQS-triggered function before any traffic moves,
 * and the strategy it picks for one. Pure: the event source mappings and queue attributes come in
 * through the QueueInspector port (src/aws/lambda.ts and src/aws/sqs.ts, or the simulated account).
 *
 * What is split, and why these rules:
 * - An SQS event source mapping that invokes the weighted alias splits *batches*, not messages:
 *   Lambda routes each invocation by the alias' weights, and every message of a batch goes to the
 *   version that invocation landed on. A retried message is a new invocation and may land on the
 *   other version.
 * - A mapping on the unqualified function ($LATEST) or on a version bypasses the alias: its events
 *   never see the canary's weights, so the canary could not gate them. That is an error.
 * - FIFO queues deliver a message group in order, one batch at a time; splitting batches between
 *   versions interleaves two versions within one group, and a message the candidate fails blocks its
 *   whole group (stable's share too) until it succeeds or dead-letters. Refused unless the request
 *   opts in with `allowFifo`.
 * - Event filters must never be used to split one queue between versions: Lambda deletes the
 *   messages a filter drops.
 */
import { parseArn } from './arn.ts';
import { UnsupportedEventSourceError } from './errors.ts';
import type { FunctionInfo, QueueInspector, QueueSource } from './ports.ts';
import type { PlanQueue } from './state.ts';
import { DEFAULT_API_STRATEGY, MAX_INTERVAL_MINUTES, type Strategy } from './strategy.ts';

/** AWS recommends a visibility timeout of at least six times the function timeout for SQS mappings. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;
/** Below this, a message can dead-letter after a few unlucky attempts (throttles, one bad batch). */
export const MIN_RECOMMENDED_RECEIVE_COUNT = 5;

/** The event source of an SQS-triggered alias, as Plan found it, and what invites trouble. */
export interface QueueSetup {
  source: QueueSource;
  /** The queue in the plan's shape (src/core/state.ts). */
  plan: PlanQueue;
  /** One sentence each, for the plan output. */
  warnings: string[];
}

/** What a mapping's function ARN points at. */
export type MappingTarget =
  | { kind: 'unqualified'; functionName: string }
  | { kind: 'version'; functionName: string; version: string }
  | { kind: 'alias'; functionName: string; alias: string };

/**
 * Reads the qualifier of a function ARN (or name) as a mapping stores it.
 *
 * @example
 * mappingTarget('arn:aws:lambda:eu-west-1:123456789012:function:orders:live'); // { kind: 'alias', functionName: 'orders', alias: 'live' }
 * mappingTarget('arn:aws:lambda:eu-west-1:123456789012:function:orders:7');    // { kind: 'version', …, version: '7' }
 * mappingTarget('arn:aws:lambda:eu-west-1:123456789012:function:orders');      // { kind: 'unqualified', … }
 */
export function mappingTarget(functionArn: string): MappingTarget {
  // arn:aws:lambda:region:account:function:name[:qualifier], or name[:qualifier]
  const arn = parseArn(functionArn);
  const [functionName = '', qualifier] = arn ? arn.resource.split(':').slice(1) : functionArn.split(':');
  if (qualifier === undefined || qualifier === '' || qualifier === '$LATEST') return { kind: 'unqualified', functionName };
  if (/^\d+$/.test(qualifier)) return { kind: 'version', functionName, version: qualifier };
  return { kind: 'alias', functionName, alias: qualifier };
}

/**
 * Checks the SQS event sources of a function for a canary on `alias`.
 *
 * Returns undefined when no SQS mapping invokes the alias (an API-triggered canary), else the one
 * mapping on the alias with its warnings. Throws UnsupportedEventSourceError, before anything is
 * touched, when an enabled mapping invokes the function unqualified or a version (its events would
 * bypass the canary), when more than one mapping invokes the alias, or when the queue is FIFO and
 * `allowFifo` is off.
 *
 * @example
 * const setup = checkQueueSetup(await queues.listQueueSources('orders'), fn, 'live', { allowFifo: false });
 * if (setup) plan.queue = setup.plan; // and setup.warnings go into the plan output
 */
export function checkQueueSetup(sources: readonly QueueSource[], fn: FunctionInfo, alias: string, options: { allowFifo: boolean }): QueueSetup | undefined {
  const warnings: string[] = [];
  const onAlias: QueueSource[] = [];
  for (const source of sources) {
    const target = mappingTarget(source.functionArn);
    if (target.kind === 'alias') {
      if (target.alias === alias) onAlias.push(source);
      continue;
    }
    const what = target.kind === 'version' ? `version ${target.version} directly` : `${fn.functionName} unqualified ($LATEST)`;
    if (source.enabled) {
      throw new UnsupportedEventSourceError(
        `event source mapping ${source.mappingId} (queue ${source.queueName}) invokes ${what}, not alias ${alias}: its messages would bypass the canary; point the mapping at the alias`,
      );
    }
    warnings.push(`event source mapping ${source.mappingId} (queue ${source.queueName}) is disabled but invokes ${what}; if enabled, its messages would bypass the canary`);
  }
  if (onAlias.length === 0) return undefined;
  if (onAlias.length > 1) {
    throw new UnsupportedEventSourceError(
      `${onAlias.length} event source mappings invoke alias ${alias} (queues ${onAlias.map((s) => s.queueName).join(', ')}); a canary watches one queue, so keep one mapping on the alias`,
    );
  }
  const source = onAlias[0]!;
  if (source.fifo && !options.allowFifo) {
    throw new UnsupportedEventSourceError(
      `queue ${source.queueName} is FIFO: splitting its batches would interleave two versions within a message group, and a message the candidate fails would block its whole group; set "allowFifo": true to accept that`,
    );
  }
  warnings.push(...queueWarnings(source, fn));
  return { source, plan: planQueue(source), warnings };
}

/** Setups that invite trouble, one sentence each (none for a well-set-up queue). */
export function queueWarnings(source: QueueSource, fn: FunctionInfo): string[] {
  const warnings: string[] = [];
  const queue = `queue ${source.queueName}`;
  if (!source.enabled) {
    warnings.push(`event source mapping ${source.mappingId} on ${queue} is disabled: the candidate will receive no messages from it, and the canary will stay inconclusive`);
  }
  if (source.fifo) {
    warnings.push(`${queue} is FIFO (allowed by request): batches of one message group may alternate between versions, and a message the candidate fails blocks its group`);
  }
  const recommended = VISIBILITY_TO_TIMEOUT_RATIO * fn.timeoutSeconds;
  if (source.visibilityTimeoutSeconds < recommended) {
    warnings.push(
      `${queue} has a visibility timeout of ${source.visibilityTimeoutSeconds} s, less than ${VISIBILITY_TO_TIMEOUT_RATIO} × the function timeout (${fn.timeoutSeconds} s): a slow batch can be received again while it still runs; set it to at least ${recommended} s`,
    );
  }
  if (!source.dlq) {
    warnings.push(`${queue} has no dead-letter queue: a message that always fails is retried until its retention period ends, and the canary cannot watch dead letters or redrive them on rollback`);
  } else if (source.dlq.maxReceiveCount < MIN_RECOMMENDED_RECEIVE_COUNT) {
    warnings.push(
      `${queue} sends messages to its DLQ after ${source.dlq.maxReceiveCount} receive${source.dlq.maxReceiveCount === 1 ? '' : 's'}: a message can dead-letter after a few unlucky batches; use a maxReceiveCount of at least ${MIN_RECOMMENDED_RECEIVE_COUNT}`,
    );
  }
  if (!source.reportBatchItemFailures) {
    warnings.push(
      `event source mapping ${source.mappingId} does not use ReportBatchItemFailures: one failed message returns its whole batch, so every message in it is retried; turn it on and report failed items`,
    );
  }
  return warnings;
}

/** The queue as the plan records it. */
export function planQueue(source: QueueSource): PlanQueue {
  return {
    mappingId: source.mappingId,
    queueArn: source.queueArn,
    queueUrl: source.queueUrl,
    queueName: source.queueName,
    visibilityTimeoutSeconds: source.visibilityTimeoutSeconds,
    batchSize: source.batchSize,
    batchingWindowSeconds: source.batchingWindowSeconds,
    reportBatchItemFailures: source.reportBatchItemFailures,
    ...(source.dlq ? { dlq: { ...source.dlq } } : {}),
    // Only when on: the plan people read stays as it was for mappings without metrics.
    ...(source.metricsEnabled ? { metricsEnabled: true } : {}),
  };
}

/** Margin after the last visibility timeout for a poller to receive what came back. */
export const REDRIVE_SETTLE_MARGIN_SECONDS = 60;

/**
 * How long to wait after the alias is back on stable before redriving the DLQ. A message the
 * candidate failed just before the rollback is still invisible for up to one visibility timeout;
 * if it has used up its receives, it moves to the DLQ only when a poller next receives it. Redriving
 * at once would leave those behind, so the DLQ would end above its pre-canary depth.
 *
 * @example
 * redriveDelaySeconds({ visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0 }); // 90
 */
export function redriveDelaySeconds(queue: Pick<PlanQueue, 'visibilityTimeoutSeconds' | 'batchingWindowSeconds'>): number {
  return queue.visibilityTimeoutSeconds + queue.batchingWindowSeconds + REDRIVE_SETTLE_MARGIN_SECONDS;
}

/** The weights of the default event strategy: it starts smaller than the request strategy. */
export const DEFAULT_EVENT_STEPS = [5, 10, 25, 50] as const;

/** Retry cycles a step of the default event strategy lasts (see defaultEventStrategy). */
export const EVENT_STEP_RETRY_CYCLES = 2;

/**
 * Minutes of `cycles` retry cycles, as a step of the event strategy lasts them: a failed message
 * comes back after its visibility timeout, and the mapping may wait its batching window before
 * invoking it again. Whole minutes, at least the request strategy's interval and at most the
 * longest a step may last.
 *
 * @example
 * eventStepMinutes({ visibilityTimeoutSeconds: 300, batchingWindowSeconds: 20 }, 2); // 11 (640 s)
 * eventStepMinutes({ visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0 }, 2);   // 5, the floor
 */
export function eventStepMinutes(queue: Pick<PlanQueue, 'visibilityTimeoutSeconds' | 'batchingWindowSeconds'>, cycles: number): number {
  const minutes = Math.ceil((cycles * (queue.visibilityTimeoutSeconds + queue.batchingWindowSeconds)) / 60);
  return Math.min(MAX_INTERVAL_MINUTES, Math.max(DEFAULT_API_STRATEGY.intervalMinutes, minutes));
}

/**
 * Coalmine's default strategy for an SQS-triggered alias: it starts small, and each step lasts two
 * retry cycles (eventStepMinutes), so that a message the candidate fails early in a step comes back,
 * and counts in the queue's retry rate, before its exposure grows. Two cycles, not the message's
 * every receive: the retry rate sees the first return, so waiting out maxReceiveCount cycles (up to
 * 75 minutes a step for a 15-minute visibility timeout) only made long canaries end undecided.
 *
 * @example
 * defaultEventStrategy({ visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0 });
 * // { name: 'Coalmine event default', steps: [5, 10, 25, 50], intervalMinutes: 5 }
 * defaultEventStrategy({ visibilityTimeoutSeconds: 900, batchingWindowSeconds: 0 });
 * // intervalMinutes: 30
 */
export function defaultEventStrategy(queue: Pick<PlanQueue, 'visibilityTimeoutSeconds' | 'batchingWindowSeconds'>): Strategy {
  return { name: 'Coalmine event default', steps: [...DEFAULT_EVENT_STEPS], intervalMinutes: eventStepMinutes(queue, EVENT_STEP_RETRY_CYCLES) };
}

/**
 * Candidate batches a step should expect at least: with fewer than 3, Poisson chance alone leaves
 * the candidate without a single batch in 5% of such steps, and a step it sees nothing of shows
 * nothing about it.
 */
export const THIN_STEP_BATCHES = 3;

/**
 * One warning naming the steps too thin for the queue's traffic to show anything: the candidate's
 * expected batches in each (its weight × the step's minutes × the batches a minute the plan counts
 * on) are under THIN_STEP_BATCHES. None when every step gets enough.
 *
 * @example
 * thinStepWarnings({ name: 'x', steps: [5, 10, 25, 50], intervalMinutes: 5 }, 2, 'orders');
 * // ['the 5% and 10% steps give the candidate about 0.5 and 1 batches of queue orders …']
 */
export function thinStepWarnings(strategy: Strategy, batchesPerMinute: number, queueName: string): string[] {
  const thin = strategy.steps
    .map((weight) => ({ weight, batches: (weight / 100) * strategy.intervalMinutes * batchesPerMinute }))
    .filter(({ batches }) => batches < THIN_STEP_BATCHES);
  if (thin.length === 0) return [];
  const and = (parts: string[]) => (parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`);
  const plural = thin.length === 1 ? 'step gives' : 'steps give';
  return [
    `the ${and(thin.map(({ weight }) => `${weight}%`))} ${plural} the candidate about ${and(thin.map(({ batches }) => String(Math.round(batches * 10) / 10)))} batches of queue ${queueName} ` +
      `(~${Math.round(batchesPerMinute * 10) / 10} batches a minute, ${strategy.intervalMinutes} min a step): it may get none, and a step it sees nothing of shows nothing about it; ` +
      `a strategy with larger or longer steps shows more`,
  ];
}

/** What Plan needs about the queue of an SQS-triggered alias. */
export interface DiscoveredQueue {
  plan: PlanQueue;
  warnings: string[];
}

/**
 * Plan's look at the function's event sources: lists them through the port and checks them.
 * Undefined when no SQS mapping invokes the alias.
 *
 * @example
 * const queue = await discoverQueue({ queues: ports.queues, fn, alias: 'live', allowFifo: false });
 * const strategy = request.strategy ?? (queue ? defaultEventStrategy(queue.plan) : DEFAULT_API_STRATEGY);
 */
export async function discoverQueue(input: { queues: QueueInspector; fn: FunctionInfo; alias: string; allowFifo: boolean }): Promise<DiscoveredQueue | undefined> {
  const sources = await input.queues.listQueueSources(input.fn.functionName);
  const setup = checkQueueSetup(sources, input.fn, input.alias, { allowFifo: input.allowFifo });
  if (!setup) return undefined;
  return { plan: setup.plan, warnings: setup.warnings };
}
