import { GetFunctionConfigurationCommand, LambdaClient, ListEventSourceMappingsCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaEventSourceMappings } from '../../src/aws/lambda.ts';
import { queueInspector } from '../../src/aws/queues.ts';
import { sqsQueues } from '../../src/aws/sqs.ts';
import { UnsupportedEventSourceError } from '../../src/core/errors.ts';
import type { FunctionInfo, QueueSource } from '../../src/core/ports.ts';
import {
  checkQueueSetup,
  DEFAULT_EVENT_STEPS,
  defaultEventStrategy,
  discoverQueue,
  mappingTarget,
  eventStepMinutes,
  redriveDelaySeconds,
  thinStepWarnings,
} from '../../src/core/sqs.ts';
import { DEFAULT_API_STRATEGY, MAX_INTERVAL_MINUTES } from '../../src/core/strategy.ts';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:orders';

const fn: FunctionInfo = { functionName: 'orders', functionArn: ARN, versions: ['1', '2', '3'], timeoutSeconds: 5, tags: {} };

/** A queue set up as AWS recommends for a 5 s function: no warnings. */
function source(overrides: Partial<QueueSource> = {}): QueueSource {
  return {
    mappingId: 'm-live',
    functionArn: `${ARN}:live`,
    queueArn: 'arn:aws:sqs:eu-west-1:123456789012:orders',
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders',
    queueName: 'orders',
    fifo: false,
    batchSize: 10,
    batchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    enabled: true,
    visibilityTimeoutSeconds: 30,
    dlq: { arn: 'arn:aws:sqs:eu-west-1:123456789012:orders-dlq', url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq', name: 'orders-dlq', maxReceiveCount: 5 },
    metricsEnabled: false,
    ...overrides,
  };
}

describe('mappingTarget', () => {
  it.each([
    [`${ARN}:live`, { kind: 'alias', functionName: 'orders', alias: 'live' }],
    [`${ARN}:12`, { kind: 'version', functionName: 'orders', version: '12' }],
    [ARN, { kind: 'unqualified', functionName: 'orders' }],
    [`${ARN}:$LATEST`, { kind: 'unqualified', functionName: 'orders' }],
    ['orders:live', { kind: 'alias', functionName: 'orders', alias: 'live' }],
    ['orders', { kind: 'unqualified', functionName: 'orders' }],
  ])('reads %s', (arn, expected) => {
    expect(mappingTarget(arn)).toEqual(expected);
  });
});

describe('checkQueueSetup', () => {
  it('finds the one mapping on the alias, with no warnings for a well-set-up queue', () => {
    const setup = checkQueueSetup([source()], fn, 'live', { allowFifo: false });

    expect(setup?.source.mappingId).toBe('m-live');
    expect(setup?.warnings).toEqual([]);
    expect(setup?.plan).toEqual({
      mappingId: 'm-live',
      queueArn: source().queueArn,
      queueUrl: source().queueUrl,
      queueName: 'orders',
      visibilityTimeoutSeconds: 30,
      batchSize: 10,
      batchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      dlq: source().dlq,
    });
  });

  it('returns undefined when no mapping invokes the alias (an API canary)', () => {
    expect(checkQueueSetup([], fn, 'live', { allowFifo: false })).toBeUndefined();
    expect(checkQueueSetup([source({ functionArn: `${ARN}:beta` })], fn, 'live', { allowFifo: false })).toBeUndefined();
  });

  it('ignores mappings on other aliases', () => {
    const setup = checkQueueSetup([source({ mappingId: 'm-beta', functionArn: `${ARN}:beta` }), source()], fn, 'live', { allowFifo: false });

    expect(setup?.source.mappingId).toBe('m-live');
  });

  it.each([
    ['the unqualified function', ARN, /unqualified \(\$LATEST\), not alias live/],
    ['$LATEST', `${ARN}:$LATEST`, /unqualified/],
    ['a version', `${ARN}:2`, /version 2 directly, not alias live/],
  ])('refuses an enabled mapping on %s: its messages would bypass the canary', (_what, functionArn, message) => {
    const sources = [source(), source({ mappingId: 'm-other', functionArn })];

    expect(() => checkQueueSetup(sources, fn, 'live', { allowFifo: false })).toThrow(UnsupportedEventSourceError);
    expect(() => checkQueueSetup(sources, fn, 'live', { allowFifo: false })).toThrow(message);
  });

  it('refuses a bypassing mapping even when none is on the alias', () => {
    expect(() => checkQueueSetup([source({ functionArn: ARN })], fn, 'live', { allowFifo: false })).toThrow(UnsupportedEventSourceError);
  });

  it('only warns about a disabled mapping that bypasses the alias', () => {
    const setup = checkQueueSetup([source(), source({ mappingId: 'm-old', functionArn: `${ARN}:1`, enabled: false })], fn, 'live', { allowFifo: false });

    expect(setup?.warnings).toEqual([expect.stringMatching(/m-old .* disabled but invokes version 1 directly/)]);
  });

  it('refuses two mappings on the alias: a canary watches one queue', () => {
    const sources = [source(), source({ mappingId: 'm-2', queueName: 'refunds' })];

    expect(() => checkQueueSetup(sources, fn, 'live', { allowFifo: false })).toThrow(/2 event source mappings invoke alias live \(queues orders, refunds\)/);
  });

  it('refuses a FIFO queue unless the request opts in, and says why', () => {
    const fifo = [source({ fifo: true, queueName: 'orders.fifo' })];

    expect(() => checkQueueSetup(fifo, fn, 'live', { allowFifo: false })).toThrow(UnsupportedEventSourceError);
    expect(() => checkQueueSetup(fifo, fn, 'live', { allowFifo: false })).toThrow(/FIFO: .*message group.*allowFifo/);
    expect(checkQueueSetup(fifo, fn, 'live', { allowFifo: true })?.warnings).toEqual([expect.stringMatching(/FIFO \(allowed by request\)/)]);
  });

  it.each([
    ['a visibility timeout under 6 × the function timeout', { visibilityTimeoutSeconds: 29 }, /visibility timeout of 29 s, less than 6 × the function timeout \(5 s\).*at least 30 s/],
    ['no DLQ', { dlq: undefined }, /no dead-letter queue/],
    ['a maxReceiveCount under 5', { dlq: { ...source().dlq!, maxReceiveCount: 4 } }, /after 4 receives.*at least 5/],
    ['no ReportBatchItemFailures', { reportBatchItemFailures: false }, /does not use ReportBatchItemFailures/],
    ['a disabled mapping on the alias', { enabled: false }, /disabled: the candidate will receive no messages/],
  ])('warns about %s', (_what, overrides, message) => {
    const setup = checkQueueSetup([source(overrides)], fn, 'live', { allowFifo: false });

    expect(setup?.warnings).toEqual([expect.stringMatching(message)]);
  });

  it('does not warn at exactly the recommended limits', () => {
    const setup = checkQueueSetup([source({ visibilityTimeoutSeconds: 30, dlq: { ...source().dlq!, maxReceiveCount: 5 } })], fn, 'live', { allowFifo: false });

    expect(setup?.warnings).toEqual([]);
  });

  it('leaves the DLQ out of the plan when the queue has none', () => {
    const setup = checkQueueSetup([source({ dlq: undefined })], fn, 'live', { allowFifo: false });

    expect(setup?.plan).not.toHaveProperty('dlq');
  });
});

describe('defaultEventStrategy', () => {
  it('starts smaller than the request strategy', () => {
    const strategy = defaultEventStrategy({ visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0 });

    expect(strategy.steps[0]).toBeLessThan(DEFAULT_API_STRATEGY.steps[0]!);
    expect(strategy.steps).toEqual([...DEFAULT_EVENT_STEPS]);
  });

  it('lasts two retry cycles a step: 2 × (visibility timeout + batching window), rounded up', () => {
    expect(defaultEventStrategy({ visibilityTimeoutSeconds: 120, batchingWindowSeconds: 10 }).intervalMinutes).toBe(5); // 260 s, under the floor
    expect(defaultEventStrategy({ visibilityTimeoutSeconds: 300, batchingWindowSeconds: 20 }).intervalMinutes).toBe(11); // 640 s
    expect(defaultEventStrategy({ visibilityTimeoutSeconds: 900, batchingWindowSeconds: 0 }).intervalMinutes).toBe(30);
  });

  it('never waits less than two retry cycles nor the request strategy, nor longer than a step may last', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 43_200 }), fc.integer({ min: 0, max: 300 }), (visibilityTimeoutSeconds, batchingWindowSeconds) => {
        const { intervalMinutes, steps } = defaultEventStrategy({ visibilityTimeoutSeconds, batchingWindowSeconds });
        const twoCycles = Math.ceil((2 * (visibilityTimeoutSeconds + batchingWindowSeconds)) / 60);

        expect(intervalMinutes).toBe(Math.min(MAX_INTERVAL_MINUTES, Math.max(DEFAULT_API_STRATEGY.intervalMinutes, twoCycles)));
        expect(steps.every((weight, i) => weight > 0 && weight < 100 && (i === 0 || weight > steps[i - 1]!))).toBe(true);
      }),
    );
  });
});

describe('eventStepMinutes', () => {
  it('counts one cycle as the visibility timeout and the batching window', () => {
    expect(eventStepMinutes({ visibilityTimeoutSeconds: 600, batchingWindowSeconds: 60 }, 1)).toBe(11);
    expect(eventStepMinutes({ visibilityTimeoutSeconds: 600, batchingWindowSeconds: 60 }, 2)).toBe(22);
  });
});

describe('thinStepWarnings', () => {
  const strategy = { name: 'Coalmine event default', steps: [5, 10, 25, 50], intervalMinutes: 5 };

  it('names the steps in which the candidate expects fewer than three batches, with the numbers', () => {
    expect(thinStepWarnings(strategy, 4, 'orders')).toEqual([
      "the 5% and 10% steps give the candidate about 1 and 2 batches of queue orders (~4 batches a minute, 5 min a step): it may get none, and a step it sees nothing of shows nothing about it; a strategy with larger or longer steps shows more",
    ]);
  });

  it('says nothing when every step expects three batches or more', () => {
    expect(thinStepWarnings(strategy, 12, 'orders')).toEqual([]);
  });
});

describe('redriveDelaySeconds', () => {
  it('waits out one visibility timeout and the batching window, with a margin, before the redrive', () => {
    expect(redriveDelaySeconds({ visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0 })).toBe(90);
    expect(redriveDelaySeconds({ visibilityTimeoutSeconds: 300, batchingWindowSeconds: 20 })).toBe(380);
  });
});

describe('discoverQueue (through the AWS adapters)', () => {
  const lambda = mockClient(LambdaClient);
  const sqs = mockClient(SQSClient);
  afterEach(() => {
    lambda.reset();
    sqs.reset();
  });

  function inspector() {
    return queueInspector(lambdaEventSourceMappings(lambda as unknown as LambdaClient), sqsQueues(sqs as unknown as SQSClient));
  }

  function mapping(functionArn: string, extra: Partial<EventSourceMappingConfiguration> = {}): EventSourceMappingConfiguration {
    return {
      UUID: 'm-1',
      FunctionArn: functionArn,
      EventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:orders',
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      State: 'Enabled',
      ...extra,
    };
  }

  function queueAttributes(attributes: Record<string, string>) {
    sqs.on(GetQueueUrlCommand, { QueueName: 'orders' }).resolves({ QueueUrl: 'https://sqs/orders' });
    sqs.on(GetQueueUrlCommand, { QueueName: 'orders-dlq' }).resolves({ QueueUrl: 'https://sqs/orders-dlq' });
    sqs.on(GetQueueAttributesCommand, { QueueUrl: 'https://sqs/orders' }).resolves({ Attributes: attributes });
  }

  it('plans the queue behind the alias with its DLQ and warnings', async () => {
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [mapping(`${ARN}:live`, { FunctionResponseTypes: [] })] });
    queueAttributes({
      VisibilityTimeout: '20',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:orders-dlq', maxReceiveCount: 3 }),
    });

    const queue = await discoverQueue({ queues: inspector(), fn, alias: 'live', allowFifo: false });

    expect(queue?.plan).toMatchObject({ queueName: 'orders', queueUrl: 'https://sqs/orders', visibilityTimeoutSeconds: 20, reportBatchItemFailures: false, dlq: { name: 'orders-dlq', url: 'https://sqs/orders-dlq', maxReceiveCount: 3 } });
    expect(queue?.warnings).toEqual([
      expect.stringMatching(/visibility timeout of 20 s/),
      expect.stringMatching(/after 3 receives/),
      expect.stringMatching(/ReportBatchItemFailures/),
    ]);
    expect(lambda.commandCalls(ListEventSourceMappingsCommand)).toHaveLength(1);
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(0);
  });

  it('refuses a mapping on a version before anything is touched', async () => {
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [mapping(`${ARN}:live`), mapping(`${ARN}:3`, { UUID: 'm-2' })] });
    queueAttributes({ VisibilityTimeout: '30' });

    await expect(discoverQueue({ queues: inspector(), fn, alias: 'live', allowFifo: false })).rejects.toThrow(/m-2 .* invokes version 3 directly/);
  });

  it('refuses a FIFO queue without the opt-in', async () => {
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [mapping(`${ARN}:live`)] });
    queueAttributes({ VisibilityTimeout: '30', FifoQueue: 'true' });

    await expect(discoverQueue({ queues: inspector(), fn, alias: 'live', allowFifo: false })).rejects.toBeInstanceOf(UnsupportedEventSourceError);
  });

  it('finds nothing for a function without SQS mappings', async () => {
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [] });

    expect(await discoverQueue({ queues: inspector(), fn, alias: 'live', allowFifo: false })).toBeUndefined();
  });
});
