import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { ThrottledError, TransientServiceError, UnsupportedEventSourceError } from '../../src/core/errors.ts';
import { batchesOf, sqsQueues } from '../../src/aws/sqs.ts';

const sqsMock = mockClient(SQSClient);
const client = new SQSClient({ region: 'eu-west-1' });

const sourceArn = 'arn:aws:sqs:eu-west-1:123456789012:orders';
const dlqArn = 'arn:aws:sqs:eu-west-1:123456789012:orders-dlq';
const source = { arn: sourceArn, url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders' };
const dlq = { arn: dlqArn, url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq' };
const since = '2026-01-01T10:00:00.000Z';
const sinceMs = Date.parse(since);

function dlqMessage(id: string, options: { firstReceive: number; sent?: number; from?: string; body?: string; group?: string }): Message {
  return {
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    Body: options.body ?? `body-${id}`,
    Attributes: {
      SentTimestamp: String(options.sent ?? options.firstReceive - 1000),
      ApproximateFirstReceiveTimestamp: String(options.firstReceive),
      DeadLetterQueueSourceArn: options.from ?? sourceArn,
      ...(options.group ? { MessageGroupId: options.group } : {}),
    },
  };
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('sqsQueues.describe', () => {
  it('resolves the queue URL from its ARN and its DLQ from the redrive policy', async () => {
    sqsMock
      .on(GetQueueUrlCommand, { QueueName: 'orders' })
      .resolves({ QueueUrl: source.url })
      .on(GetQueueUrlCommand, { QueueName: 'orders-dlq' })
      .resolves({ QueueUrl: dlq.url });
    sqsMock.on(GetQueueAttributesCommand).resolves({
      Attributes: { VisibilityTimeout: '45', FifoQueue: undefined, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '5' }) },
    });

    const queue = await sqsQueues(client).describe(sourceArn);

    expect(queue).toEqual({
      arn: sourceArn,
      url: source.url,
      name: 'orders',
      fifo: false,
      visibilityTimeoutSeconds: 45,
      dlq: { arn: dlqArn, url: dlq.url, name: 'orders-dlq', maxReceiveCount: 5 },
    });
    expect(sqsMock.commandCalls(GetQueueUrlCommand)[0]!.args[0].input).toEqual({ QueueName: 'orders', QueueOwnerAWSAccountId: '123456789012' });
  });

  it('has no DLQ when the queue has no redrive policy', async () => {
    sqsMock.on(GetQueueUrlCommand).resolves({ QueueUrl: source.url });
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { VisibilityTimeout: '30', FifoQueue: 'true' } });

    const queue = await sqsQueues(client).describe(sourceArn);

    expect(queue.dlq).toBeUndefined();
    expect(queue.fifo).toBe(true);
  });

  it('says the event source is unsupported when the queue does not exist', async () => {
    sqsMock.on(GetQueueUrlCommand).rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));

    await expect(sqsQueues(client).describe(sourceArn)).rejects.toBeInstanceOf(UnsupportedEventSourceError);
  });
});

describe('sqsQueues.depth', () => {
  it('reads ApproximateNumberOfMessages', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '17' } });

    expect(await sqsQueues(client).depth(dlq.url)).toBe(17);
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0]!.args[0].input).toEqual({ QueueUrl: dlq.url, AttributeNames: ['ApproximateNumberOfMessages'] });
  });
});

describe('sqsQueues.redrive', () => {
  it('moves only messages from the source first received since the canary started, keeping body and attributes', async () => {
    const fresh = {
      ...dlqMessage('fresh', { firstReceive: sinceMs + 5_000 }),
      MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
    };
    const old = dlqMessage('old', { firstReceive: sinceMs - 1 });
    const other = dlqMessage('other', { firstReceive: sinceMs + 5_000, from: 'arn:aws:sqs:eu-west-1:123456789012:payments' });
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [fresh, old, other] }).resolves({ Messages: [] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: 'm0', MessageId: 'new-1', MD5OfMessageBody: 'x' }], Failed: [] });

    const report = await sqsQueues(client).redrive(dlq, source, since);

    expect(report).toEqual({ moved: 1, examined: 3, notMoved: 0, inBothQueues: 0, complete: true });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input).toEqual({
      QueueUrl: source.url,
      Entries: [{ Id: 'm0', MessageBody: 'body-fresh', MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } } }],
    });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input).toEqual({ QueueUrl: dlq.url, Entries: [{ Id: 'm0', ReceiptHandle: 'rh-fresh' }] });
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input).toEqual({
      QueueUrl: dlq.url,
      Entries: [
        { Id: 'r0', ReceiptHandle: 'rh-old', VisibilityTimeout: 0 },
        { Id: 'r1', ReceiptHandle: 'rh-other', VisibilityTimeout: 0 },
      ],
    });
  });

  it('asks for the attributes that date a message and hides what it receives while it works', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });

    await sqsQueues(client).redrive(dlq, source, since);

    const input = sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input;
    expect(input.MessageSystemAttributeNames).toEqual(expect.arrayContaining(['SentTimestamp', 'ApproximateFirstReceiveTimestamp', 'DeadLetterQueueSourceArn']));
    expect(input.MessageAttributeNames).toEqual(['All']);
    expect(input.WaitTimeSeconds).toBeGreaterThan(0);
    expect(input.VisibilityTimeout).toBeGreaterThan(0);
  });

  it('deletes nothing that the source queue did not accept, releases it, and reports a retryable failure', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dlqMessage('a', { firstReceive: sinceMs }), dlqMessage('b', { firstReceive: sinceMs })] }).resolves({ Messages: [] });
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: 'm0', MessageId: 'n0', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: 'm1', SenderFault: false, Code: 'InternalError' }],
    });

    await expect(sqsQueues(client).redrive(dlq, source, since)).rejects.toBeInstanceOf(TransientServiceError);

    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input.Entries).toEqual([{ Id: 'm0', ReceiptHandle: 'rh-a' }]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toEqual([{ Id: 'r0', ReceiptHandle: 'rh-b', VisibilityTimeout: 0 }]);
  });

  it('releases everything it held, the messages it meant to move too, and throws ThrottledError when SQS throttles a send', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dlqMessage('old', { firstReceive: sinceMs - 60_000 }), dlqMessage('new', { firstReceive: sinceMs })] });
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled', $metadata: {} }));

    const failure = sqsQueues(client).redrive(dlq, source, since);

    await expect(failure).rejects.toBeInstanceOf(ThrottledError);
    await expect(failure).rejects.toThrow('cut short: examined 2, moved 0');
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    // Visible again at once: a retried Redrive state finds them instead of waiting out the hold.
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toEqual([
      { Id: 'r0', ReceiptHandle: 'rh-old', VisibilityTimeout: 0 },
      { Id: 'r1', ReceiptHandle: 'rh-new', VisibilityTimeout: 0 },
    ]);
  });

  it('never leaves a message silently in both queues: a failed deletion is counted and said', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dlqMessage('a', { firstReceive: sinceMs }), dlqMessage('b', { firstReceive: sinceMs })] }).resolves({ Messages: [] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: 'm0', MessageId: 'n0', MD5OfMessageBody: 'x' }, { Id: 'm1', MessageId: 'n1', MD5OfMessageBody: 'x' }] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }], Failed: [{ Id: 'm1', SenderFault: false, Code: 'InternalError' }] });

    const report = await sqsQueues(client).redrive(dlq, source, since);

    expect(report).toEqual({ moved: 1, examined: 2, notMoved: 0, inBothQueues: 1, complete: true });
  });

  it('says so when a throttled deletion leaves what it sent in both queues', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [dlqMessage('a', { firstReceive: sinceMs })] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: 'm0', MessageId: 'n0', MD5OfMessageBody: 'x' }] });
    sqsMock.on(DeleteMessageBatchCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled', $metadata: {} }));

    await expect(sqsQueues(client).redrive(dlq, source, since)).rejects.toThrow('1 sent back but not deleted from the DLQ (a copy in both queues)');
  });

  it('dates FIFO messages by SentTimestamp, keeps their group and gives them a fresh deduplication id', async () => {
    const fifoDlq = { arn: `${dlqArn}.fifo`, url: `${dlq.url}.fifo` };
    const fifoSource = { arn: `${sourceArn}.fifo`, url: `${source.url}.fifo` };
    // First received long before `since`, but moved (SentTimestamp reset) after it.
    const moved = dlqMessage('f1', { firstReceive: sinceMs - 600_000, sent: sinceMs + 1_000, from: fifoSource.arn, group: 'customer-7' });
    const before = dlqMessage('f0', { firstReceive: sinceMs + 1_000, sent: sinceMs - 1, from: fifoSource.arn, group: 'customer-8' });
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [moved, before] }).resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: 'm0', MessageId: 'n', MD5OfMessageBody: 'x' }] });

    expect(await sqsQueues(client).redrive(fifoDlq, fifoSource, since)).toMatchObject({ moved: 1, examined: 2 });

    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries).toEqual([
      { Id: 'm0', MessageBody: 'body-f1', MessageGroupId: 'customer-7', MessageDeduplicationId: 'redrive-f1' },
    ]);
  });

  it('stops at its time budget when the DLQ never runs dry, and says it did not finish', async () => {
    let clock = 0;
    let n = 0;
    sqsMock.on(ReceiveMessageCommand).callsFake(() => {
      clock += 1_000; // each receive takes a second
      return { Messages: [dlqMessage(`old-${n++}`, { firstReceive: sinceMs - 1 })] };
    });

    const report = await sqsQueues(client).redrive(dlq, source, since, { budgetSeconds: 7, now: () => clock });

    expect(report).toEqual({ moved: 0, examined: 7, notMoved: 0, inBothQueues: 0, complete: false });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('reaches the canary\'s dead letters behind more than 2,000 older ones, within its time budget', async () => {
    // 3,000 older dead letters first, then the canary's 25: each receive hides what it got until the pass ends.
    const older = Array.from({ length: 3_000 }, (_, i) => dlqMessage(`old-${i}`, { firstReceive: sinceMs - 60_000 }));
    const canary = Array.from({ length: 25 }, (_, i) => dlqMessage(`new-${i}`, { firstReceive: sinceMs + 1_000 }));
    const queue = [...older, ...canary];
    sqsMock.on(ReceiveMessageCommand).callsFake(() => ({ Messages: queue.splice(0, 10) }));
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({ Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: 'n', MD5OfMessageBody: 'x' })) }));
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({ Successful: input.Entries.map((entry) => ({ Id: entry.Id })) }));

    const report = await sqsQueues(client).redrive(dlq, source, since);

    expect(report).toEqual({ moved: 25, examined: 3_025, notMoved: 0, inBothQueues: 0, complete: true });
  });
});

describe('batchesOf', () => {
  const entry = (id: number, bytes: number): SendMessageBatchRequestEntry => ({ Id: `m${id}`, MessageBody: 'x'.repeat(bytes) });

  it('keeps every entry, in order, in batches of at most 10 entries and 256 KiB (a lone large entry aside)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 * 1024 }), { maxLength: 40 }), (sizes) => {
        const entries = sizes.map((size, i) => entry(i, size));
        const batches = batchesOf(entries);
        expect(batches.flat()).toEqual(entries);
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(10);
          const bytes = batch.reduce((sum, e) => sum + (e.MessageBody?.length ?? 0), 0);
          if (batch.length > 1) expect(bytes).toBeLessThanOrEqual(256 * 1024);
        }
      }),
    );
  });
});
