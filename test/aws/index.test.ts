import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { CLIENT_RETRY, lambdaTrafficRouter, systemClock } from '../../src/aws/index.ts';

describe('CLIENT_RETRY', () => {
  it.each([
    ['Lambda', () => new LambdaClient(CLIENT_RETRY)],
    ['SQS', () => new SQSClient(CLIENT_RETRY)],
    ['CloudWatch', () => new CloudWatchClient(CLIENT_RETRY)],
  ])('gives the %s client standard retries and three attempts', async (_, create) => {
    const client = create();

    const strategy = await client.config.retryStrategy();
    expect((strategy as { mode?: string }).mode).toBe('standard');
    expect(await client.config.maxAttempts()).toBe(3);
  });
});

describe('the AWS adapters', () => {
  it('route alias reads through the Lambda client they are given', async () => {
    const lambda = new LambdaClient(CLIENT_RETRY);
    const lambdaMock = mockClient(lambda);
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '3', RevisionId: 'r' });

    const alias = await lambdaTrafficRouter(lambda).getAlias('checkout', 'live');

    expect(alias.version).toBe('3');
    expect(lambdaMock.commandCalls(GetAliasCommand)).toHaveLength(1);
    lambdaMock.restore();
  });
});

describe('systemClock', () => {
  it('reads the wall clock', () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z') });
    try {
      expect(systemClock.now().toISOString()).toBe('2026-03-01T12:00:00.000Z');
    } finally {
      vi.useRealTimers();
    }
  });
});
