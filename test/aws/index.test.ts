import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { awsPorts, createClients } from '../../src/aws/index.ts';

describe('createClients', () => {
  it('configures every client with standard retries and three attempts', async () => {
    const clients = createClients();

    for (const client of Object.values(clients)) {
      const strategy = await client.config.retryStrategy();
      expect(strategy.mode).toBe('standard');
      expect(await client.config.maxAttempts()).toBe(3);
    }
  });
});

describe('awsPorts', () => {
  it('routes alias reads through the Lambda client it is given', async () => {
    const clients = createClients();
    const lambdaMock = mockClient(clients.lambda);
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '3', RevisionId: 'r' });

    const alias = await awsPorts(clients).router.getAlias('checkout', 'live');

    expect(alias.version).toBe('3');
    expect(lambdaMock.commandCalls(GetAliasCommand)).toHaveLength(1);
    lambdaMock.restore();
  });

  it('reads the wall clock', () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z') });
    try {
      expect(awsPorts(createClients()).clock.now().toISOString()).toBe('2026-03-01T12:00:00.000Z');
    } finally {
      vi.useRealTimers();
    }
  });
});
