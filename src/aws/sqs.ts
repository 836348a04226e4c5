/**
 * The SQS half of the QueueInspector: queue attributes, depth, and the redrive of what a canary sent
 * to a dead-letter queue. Takes its SQSClient so tests use `aws-sdk-client-mock`.
 *
 * ## Which messages "reached the DLQ since a time"
 *
 * SQS keeps no "moved to the DLQ at" timestamp, so the redrive works from what it does keep:
 * - Standard queues: "When a message is moved to a dead-letter queue, the enqueue timestamp is
 *   unchanged" (SQS Developer Guide, "Setting-up dead-letter queue retention"), and SentTimestamp and
 *   ApproximateFirstReceiveTimestamp carry over from the source queue (observed on AWS, reported in
 *   softwaremill/elasticmq#386). A message is moved on a receive that comes after its first receive,
 *   so `ApproximateFirstReceiveTimestamp >= since` proves it reached the DLQ at or after `since`.
 * - FIFO queues: "the enqueue timestamp resets when the message is moved to a dead-letter queue"
 *   (same page), so `SentTimestamp` is the time it reached the DLQ: `SentTimestamp >= since`.
 * - Either way the message must carry `DeadLetterQueueSourceArn` equal to the source queue, so that
 *   messages from other sources sharing the DLQ, or sent to it by hand, stay where they are.
 *
 * The rule errs on the side of leaving a message: one first received before `since` that failed
 * afterwards stays in the DLQ (not lost, just not redriven). A message is never moved that could have
 * been dead-lettered before `since`.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { InvalidRequestError, TransientServiceError, UnsupportedEventSourceError } from '../core/errors.ts';
import { sqsQueueAccount, sqsQueueName } from './arn.ts';
import { callAws } from './errors.ts';

/** A queue as the adapters describe it. */
export interface QueueDescription {
  arn: string;
  url: string;
  name: string;
  fifo: boolean;
  visibilityTimeoutSeconds: number;
  dlq?: { arn: string; url: string; name: string; maxReceiveCount: number };
}

export interface RedriveOptions {
  /** Receives to make at most, ten messages each: the loop's hard exit. Default 200. */
  maxReceives?: number;
  /**
   * Seconds that received messages stay hidden while the pass runs. Messages left in place are made
   * visible again (visibility 0) when the pass ends, so this only matters if the pass is cut short.
   */
  holdSeconds?: number;
  /** Long-poll wait per receive; > 0 makes SQS look on all its servers, so an empty answer means empty. */
  waitSeconds?: number;
}

export interface SqsQueues {
  /** The queue's URL and the attributes a canary needs, with its DLQ when it has a redrive policy. */
  describe(queueArn: string): Promise<QueueDescription>;
  /** ApproximateNumberOfMessages. */
  depth(queueUrl: string): Promise<number>;
  /** Moves DLQ messages that arrived at or after `since` back to `source`; returns how many. */
  redrive(dlq: { url: string; arn: string }, source: { url: string; arn: string }, since: string, options?: RedriveOptions): Promise<number>;
}

/** SQS limits: 10 entries per batch, 256 KiB per batch request (the historic limit, valid everywhere). */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 256 * 1024;

function parseRedrivePolicy(policy: string | undefined, queueArn: string): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
  if (!policy) return undefined;
  try {
    const parsed = JSON.parse(policy) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    const maxReceiveCount = Number(parsed.maxReceiveCount);
    if (typeof parsed.deadLetterTargetArn !== 'string' || !Number.isFinite(maxReceiveCount)) return undefined;
    return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount };
  } catch (cause) {
    throw new UnsupportedEventSourceError(`queue ${queueArn} has a RedrivePolicy that is not JSON`, { cause });
  }
}

/** Bytes a message attribute adds to a request, as SQS counts them (name, type and value). */
function attributeBytes(name: string, value: MessageAttributeValue): number {
  const valueBytes = value.StringValue !== undefined ? Buffer.byteLength(value.StringValue) : (value.BinaryValue?.byteLength ?? 0);
  return Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + valueBytes;
}

function entryBytes(entry: SendMessageBatchRequestEntry): number {
  const attributes = Object.entries(entry.MessageAttributes ?? {}).reduce((sum, [name, value]) => sum + attributeBytes(name, value), 0);
  return Buffer.byteLength(entry.MessageBody ?? '') + attributes;
}

/** Groups entries into batches of at most 10 entries and 256 KiB; a single large entry goes alone. */
export function batchesOf(entries: SendMessageBatchRequestEntry[]): SendMessageBatchRequestEntry[][] {
  const batches: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (current.length > 0 && (current.length === BATCH_ENTRIES || bytes + size > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Only the defined fields of a received attribute, so it can be sent again as it was. */
function copyAttribute(value: MessageAttributeValue): MessageAttributeValue {
  const copy: MessageAttributeValue = { DataType: value.DataType };
  if (value.StringValue !== undefined) copy.StringValue = value.StringValue;
  if (value.BinaryValue !== undefined) copy.BinaryValue = value.BinaryValue;
  if (value.StringListValues?.length) copy.StringListValues = value.StringListValues;
  if (value.BinaryListValues?.length) copy.BinaryListValues = value.BinaryListValues;
  return copy;
}

/**
 * True when the message provably reached the DLQ from `sourceArn` at or after `sinceMs` (see the rule
 * at the top of this file).
 */
export function arrivedFromSourceSince(message: Message, sourceArn: string, sinceMs: number, fifo: boolean): boolean {
  const attributes = message.Attributes ?? {};
  if (attributes.DeadLetterQueueSourceArn !== sourceArn) return false;
  const stamp = fifo ? attributes.SentTimestamp : attributes.ApproximateFirstReceiveTimestamp;
  const at = Number(stamp);
  return stamp !== undefined && Number.isFinite(at) && at >= sinceMs;
}

function sendEntry(message: Message, id: string, fifo: boolean): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = { Id: id, MessageBody: message.Body ?? '' };
  const attributes = Object.entries(message.MessageAttributes ?? {});
  if (attributes.length > 0) entry.MessageAttributes = Object.fromEntries(attributes.map(([name, value]) => [name, copyAttribute(value)]));
  const trace = message.Attributes?.AWSTraceHeader;
  if (trace) entry.MessageSystemAttributes = { AWSTraceHeader: { DataType: 'String', StringValue: trace } };
  if (fifo) {
    entry.MessageGroupId = message.Attributes?.MessageGroupId;
    // A fresh id: the original one may still be inside the 5-minute deduplication window, where SQS
    // would accept the send and drop the message. It is derived from the message, so a retried redrive
    // of the same message within the window is deduplicated instead of doubled.
    entry.MessageDeduplicationId = `redrive-${message.MessageId ?? id}`;
  }
  return entry;
}

export function sqsQueues(client: SQSClient): SqsQueues {
  const queueUrl = async (queueArn: string): Promise<string> => {
    const out = await callAws(
      'sqs:GetQueueUrl',
      () => client.send(new GetQueueUrlCommand({ QueueName: sqsQueueName(queueArn), QueueOwnerAWSAccountId: sqsQueueAccount(queueArn) })),
      { notFound: (message, cause) => new UnsupportedEventSourceError(`queue ${queueArn} does not exist (${message})`, { cause }) },
    );
    if (!out.QueueUrl) throw new TransientServiceError(`sqs:GetQueueUrl: no URL came back for ${queueArn}`);
    return out.QueueUrl;
  };

  const releaseAll = async (queueUrlValue: string, receiptHandles: string[]): Promise<void> => {
    for (let at = 0; at < receiptHandles.length; at += BATCH_ENTRIES) {
      const entries = receiptHandles.slice(at, at + BATCH_ENTRIES).map((handle, index) => ({ Id: `r${at + index}`, ReceiptHandle: handle, VisibilityTimeout: 0 }));
      await callAws('sqs:ChangeMessageVisibilityBatch', () =>
        client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrlValue, Entries: entries })),
      );
    }
  };

  return {
    async describe(queueArn) {
      const url = await queueUrl(queueArn);
      const out = await callAws('sqs:GetQueueAttributes', () =>
        client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy', 'FifoQueue'] })),
      );
      const attributes = out.Attributes ?? {};
      const redrive = parseRedrivePolicy(attributes.RedrivePolicy, queueArn);
      const description: QueueDescription = {
        arn: queueArn,
        url,
        name: sqsQueueName(queueArn),
        fifo: attributes.FifoQueue === 'true',
        visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? 30),
      };
      if (redrive) {
        description.dlq = {
          arn: redrive.deadLetterTargetArn,
          url: await queueUrl(redrive.deadLetterTargetArn),
          name: sqsQueueName(redrive.deadLetterTargetArn),
          maxReceiveCount: redrive.maxReceiveCount,
        };
      }
      return description;
    },

    async depth(url) {
      const out = await callAws('sqs:GetQueueAttributes', () =>
        client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] })),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    },

    async redrive(dlq, source, since, options = {}) {
      const sinceMs = Date.parse(since);
      if (!Number.isFinite(sinceMs)) throw new InvalidRequestError(`redrive: since must be an ISO time, got ${JSON.stringify(since)}`);
      const { maxReceives = 200, holdSeconds = 300, waitSeconds = 1 } = options;
      const fifo = dlq.url.endsWith('.fifo') || dlq.arn.endsWith('.fifo');

      let moved = 0;
      let retryableFailures = 0;
      // Messages left in place stay hidden until the pass ends, so the next receive reaches messages
      // behind them instead of the same ones again; the finally block makes them visible at once.
      const leftInPlace: string[] = [];
      try {
        for (let receive = 0; receive < maxReceives; receive++) {
          const out = await callAws('sqs:ReceiveMessage', () =>
            client.send(
              new ReceiveMessageCommand({
                QueueUrl: dlq.url,
                MaxNumberOfMessages: BATCH_ENTRIES,
                WaitTimeSeconds: waitSeconds,
                VisibilityTimeout: holdSeconds,
                MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateFirstReceiveTimestamp', 'DeadLetterQueueSourceArn', 'MessageGroupId', 'AWSTraceHeader'],
                MessageAttributeNames: ['All'],
              }),
            ),
          );
          const messages = out.Messages ?? [];
          if (messages.length === 0) break;

          const toMove: Message[] = [];
          for (const message of messages) {
            if (!message.ReceiptHandle) continue;
            if (arrivedFromSourceSince(message, source.arn, sinceMs, fifo)) toMove.push(message);
            else leftInPlace.push(message.ReceiptHandle);
          }

          const entries = toMove.map((message, index) => sendEntry(message, `m${index}`, fifo));
          for (const batch of batchesOf(entries)) {
            const sent = await callAws('sqs:SendMessageBatch', () => client.send(new SendMessageBatchCommand({ QueueUrl: source.url, Entries: batch })));
            const receiptOf = (id: string | undefined) => toMove[Number(id?.slice(1))]?.ReceiptHandle;
            for (const failure of sent.Failed ?? []) {
              const handle = receiptOf(failure.Id);
              if (handle) leftInPlace.push(handle);
              if (!failure.SenderFault) retryableFailures++;
            }
            const deletions = (sent.Successful ?? []).flatMap((success) => {
              const handle = receiptOf(success.Id);
              return handle ? [{ Id: success.Id, ReceiptHandle: handle }] : [];
            });
            if (deletions.length === 0) continue;
            // Delete only what the source queue accepted. A deletion that fails leaves a copy in the DLQ
            // that a later redrive sends again: at least once, never lost.
            await callAws('sqs:DeleteMessageBatch', () => client.send(new DeleteMessageBatchCommand({ QueueUrl: dlq.url, Entries: deletions })));
            moved += deletions.length;
          }
        }
      } finally {
        await releaseAll(dlq.url, leftInPlace);
      }
      if (retryableFailures > 0) {
        throw new TransientServiceError(`sqs:SendMessageBatch: ${retryableFailures} message(s) could not be sent back to ${source.arn}; moved ${moved}, the rest stay in ${dlq.arn}`);
      }
      return moved;
    },
  };
}
