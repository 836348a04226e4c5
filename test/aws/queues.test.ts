import { describe, expect, it, vi } from 'vitest';
import type { EventSourceMappings } from '../../src/aws/lambda.ts';
import { queueInspector } from '../../src/aws/queues.ts';
import type { QueueDescription, SqsQueues } from '../../src/aws/sqs.ts';

const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:orders';
const description: QueueDescription = {
  arn: queueArn,
  url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders',
  name: 'orders',
  fifo: false,
  visibilityTimeoutSeconds: 30,
  dlq: { arn: `${queueArn}-dlq`, url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq', name: 'orders-dlq', maxReceiveCount: 5 },
};

function fakes(mappingList: Awaited<ReturnType<EventSourceMappings['listForFunction']>>) {
  const mappings: EventSourceMappings = { listForFunction: vi.fn(async () => mappingList) };
  const queues: SqsQueues = {
    describe: vi.fn(async () => description),
    depth: vi.fn(async () => 4),
    redrive: vi.fn(async () => ({ moved: 2, examined: 3, notMoved: 0, inBothQueues: 0, complete: true })),
  };
  return { mappings, queues };
}

describe('queueInspector', () => {
  it('joins each SQS mapping with its queue and leaves other event sources out', async () => {
    const { mappings, queues } = fakes([
      {
        UUID: 'm-1',
        FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live',
        EventSourceArn: queueArn,
        BatchSize: 5,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        State: 'Enabled',
        MetricsConfig: { Metrics: ['EventCount'] },
      },
      { UUID: 'm-2', FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout', EventSourceArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks', State: 'Enabled' },
    ]);

    const sources = await queueInspector(mappings, queues).listQueueSources('checkout');

    expect(sources).toEqual([
      {
        mappingId: 'm-1',
        functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live',
        queueArn,
        queueUrl: description.url,
        queueName: 'orders',
        fifo: false,
        batchSize: 5,
        batchingWindowSeconds: 2,
        reportBatchItemFailures: true,
        enabled: true,
        visibilityTimeoutSeconds: 30,
        dlq: description.dlq,
        metricsEnabled: true,
      },
    ]);
    expect(queues.describe).toHaveBeenCalledWith(queueArn);
  });

  it('reports a disabled mapping as not enabled', async () => {
    const { mappings, queues } = fakes([{ UUID: 'm-3', FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout', EventSourceArn: queueArn, State: 'Disabled' }]);

    const [source] = await queueInspector(mappings, queues).listQueueSources('checkout');

    expect(source?.enabled).toBe(false);
    expect(source?.reportBatchItemFailures).toBe(false);
  });

  it('passes depth and redrive through to SQS', async () => {
    const { mappings, queues } = fakes([]);
    const inspector = queueInspector(mappings, queues);

    expect(await inspector.depth('url')).toBe(4);
    expect(await inspector.redrive({ url: 'd', arn: 'da' }, { url: 's', arn: 'sa' }, '2026-01-01T00:00:00Z', { budgetSeconds: 120 })).toMatchObject({ moved: 2, examined: 3, complete: true });
    expect(queues.redrive).toHaveBeenCalledWith({ url: 'd', arn: 'da' }, { url: 's', arn: 'sa' }, '2026-01-01T00:00:00Z', { budgetSeconds: 120 });
  });
});
