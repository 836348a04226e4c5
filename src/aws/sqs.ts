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
import type { RedriveReport } from '../core/ports.ts';
import { sqsQueueAccount, sqsQueueName } from '../core/arn.ts';
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
  /**
   * Seconds the pass may run before it stops receiving (default 480, inside the Redrive function's
   * 600-second timeout). A pass that stops early says so (`complete: false`).
   */
  budgetSeconds?: number;
  /** Long-poll wait per receive; > 0 makes SQS look on all its servers, so an empty answer means empty. */
  waitSeconds?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

export interface SqsQueues {
  /** The queue's URL and the attributes a canary needs, with its DLQ when it has a redrive policy. */
  describe(queueArn: string): Promise<QueueDescription>;
  /** ApproximateNumberOfMessages. */
  depth(queueUrl: string): Promise<number>;
  /** Moves DLQ messages that arrived at or after `since` back to `source`, within a time budget; says what it did. */
  redrive(dlq: { url: string; arn: string }, source: { url: string; arn: string }, since: string, options?: RedriveOptions): Promise<RedriveReport>;
}

/** A redrive pass's default time budget: the Redrive function times out at 600 s. */
export const DEFAULT_BUDGET_SECONDS = 480;
/** Received messages stay hidden this much longer than the pass may last. */
const HOLD_MARGIN_SECONDS = 60;
/** SQS's longest visibility timeout: 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** One clause a person reads: what the pass examined, moved and left. */
export function describeReport(report: RedriveReport): string {
  const parts = [`examined ${report.examined}`, `moved ${report.moved}`];
  if (report.notMoved) parts.push(`${report.notMoved} not moved (still in the DLQ)`);
  if (report.inBothQueues) parts.push(`${report.inBothQueues} sent back but not deleted from the DLQ (a copy in both queues)`);
  parts.push(report.complete ? 'read the DLQ to the end' : 'stopped before the end of the DLQ');
  return parts.join(', ');
}

/** The error of a pass cut short, with what the pass had done by then in its message. */
function withReport(error: unknown, report: RedriveReport, dlqArn: string): unknown {
  if (!(error instanceof Error)) return error;
  error.message = `${error.message} (redrive of ${dlqArn} cut short: ${describeReport(report)})`;
  return error;
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
      const { budgetSeconds = DEFAULT_BUDGET_SECONDS, waitSeconds = 1, now = Date.now } = options;
      const fifo = dlq.url.endsWith('.fifo') || dlq.arn.endsWith('.fifo');
      const deadline = now() + budgetSeconds * 1000;
      // Received messages stay hidden until the pass ends (so the next receive reaches the ones behind
      // them, not the same ones again): hold them a little longer than the pass may last.
      const holdSeconds = Math.min(MAX_VISIBILITY_SECONDS, budgetSeconds + HOLD_MARGIN_SECONDS);

      const report: RedriveReport = { moved: 0, examined: 0, notMoved: 0, inBothQueues: 0, complete: false };
      let retryableFailures = 0;
      // Every receipt handle held and not deleted is released in `finally`, whatever stopped the pass:
      // a throttled send must not leave the messages it meant to move hidden for the hold period.
      const held = new Set<string>();
      try {
        while (now() < deadline) {
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
          const messages = (out.Messages ?? []).filter((message) => message.ReceiptHandle);
          if (messages.length === 0) {
            report.complete = true;
            break;
          }
          report.examined += messages.length;
          for (const message of messages) held.add(message.ReceiptHandle!);
          const toMove = messages.filter((message) => arrivedFromSourceSince(message, source.arn, sinceMs, fifo));

          const entries = toMove.map((message, index) => sendEntry(message, `m${index}`, fifo));
          for (const batch of batchesOf(entries)) {
            const sent = await callAws('sqs:SendMessageBatch', () => client.send(new SendMessageBatchCommand({ QueueUrl: source.url, Entries: batch })));
            const receiptOf = (id: string | undefined) => toMove[Number(id?.slice(1))]?.ReceiptHandle;
            for (const failure of sent.Failed ?? []) {
              report.notMoved++;
              if (!failure.SenderFault) retryableFailures++;
            }
            const deletions = (sent.Successful ?? []).flatMap((success) => {
              const handle = receiptOf(success.Id);
              return handle ? [{ Id: success.Id, ReceiptHandle: handle }] : [];
            });
            if (deletions.length === 0) continue;
            // Delete only what the source queue accepted. A deletion that fails leaves a copy in each
            // queue: counted, so the output says so, and a later redrive sends it again (at least once).
            let deleted;
            try {
              deleted = await callAws('sqs:DeleteMessageBatch', () => client.send(new DeleteMessageBatchCommand({ QueueUrl: dlq.url, Entries: deletions })));
            } catch (error) {
              report.inBothQueues += deletions.length;
              for (const deletion of deletions) held.delete(deletion.ReceiptHandle);
              throw error;
            }
            const failedIds = new Set((deleted.Failed ?? []).map((failure) => failure.Id));
            for (const deletion of deletions) {
              held.delete(deletion.ReceiptHandle);
              if (failedIds.has(deletion.Id)) report.inBothQueues++;
              else report.moved++;
            }
          }
        }
      } catch (error) {
        throw withReport(error, report, dlq.arn);
      } finally {
        await releaseAll(dlq.url, [...held]);
      }
      if (retryableFailures > 0) {
        throw new TransientServiceError(`sqs:SendMessageBatch: ${retryableFailures} message(s) could not be sent back to ${source.arn}; ${describeReport(report)}; the rest stay in ${dlq.arn}`);
      }
      return report;
    },
  };
}
