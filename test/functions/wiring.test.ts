import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ResourceNotFoundException, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// Quiet logs: the logger reads its level when the handler module loads.
vi.hoisted(() => {
  process.env['COALMINE_LOG_LEVEL'] = 'SILENT';
});

// The judge is engineer A's; these tests only need the wiring around it.
vi.mock('../../src/core/judge/index.ts', () => ({ assess: vi.fn() }));

const lambdaMock = mockClient(LambdaClient);
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:coalmine:exec-1', name: 'exec-1' };

beforeEach(() => {
  lambdaMock.reset();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
});

describe('handlers wired to the AWS ports (SDK clients mocked)', () => {
  it('plan refuses a function that does not exist, with a named error, before touching the alias', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
    const { handler } = await import('../../functions/plan/handler.ts');

    const planned = handler({ request: { functionName: 'ghost', alias: 'live', candidateVersion: '2' }, execution });

    await expect(planned).rejects.toHaveProperty('name', 'FunctionNotFoundError');
    expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('plan refuses a malformed request without calling AWS', async () => {
    const { handler } = await import('../../functions/plan/handler.ts');

    await expect(handler({ request: { alias: 'live' }, execution })).rejects.toHaveProperty('name', 'InvalidRequestError');
    expect(lambdaMock.calls()).toHaveLength(0);
  });

  it('cleanup does nothing for an execution that succeeded', async () => {
    const { handler } = await import('../../functions/cleanup/handler.ts');

    const result = await handler({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { executionArn: execution.id, name: execution.name, status: 'SUCCEEDED', input: '{}' },
    });

    expect(result).toMatchObject({ action: 'none' });
    expect(lambdaMock.commandCalls(GetAliasCommand)).toHaveLength(0);
  });
});
