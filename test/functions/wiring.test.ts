import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ListAliasesCommand, ResourceNotFoundException, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { executionRef } from '../helpers/factories.ts';

// Quiet logs: the logger reads its level when the handler module loads.
vi.hoisted(() => {
  process.env['COALMINE_LOG_LEVEL'] = 'SILENT';
});

// These tests only need the wiring around the judge: its assess() is a stub, its settings schema real.
vi.mock('../../src/core/judge/index.ts', async (importOriginal) => ({ ...(await importOriginal<typeof import('../../src/core/judge/index.ts')>()), assess: vi.fn() }));

const lambdaMock = mockClient(LambdaClient);
const sfnMock = mockClient(SFNClient);
const execution = executionRef('exec-1');

beforeEach(() => {
  lambdaMock.reset();
  sfnMock.reset();
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

  it('cleanup does nothing for an execution that succeeded (as Step Functions describes it)', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: execution.id, status: 'SUCCEEDED', input: '{}', stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:coalmine', startDate: new Date() });
    const { handler } = await import('../../functions/cleanup/handler.ts');

    const result = await handler({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { executionArn: execution.id, name: execution.name, status: 'ABORTED', input: '{}' },
    });

    expect(result).toMatchObject({ action: 'none' });
    expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('cleanup restores the alias the aborted execution marked, found by listing aliases, with the input from DescribeExecution', async () => {
    const { ownerMark } = await import('../../src/core/ownership.ts');
    const mark = ownerMark({ executionArn: execution.id, owner: execution.name, stable: '12', candidate: '13', original: 'prod' });
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: execution.id, status: 'ABORTED', input: JSON.stringify({ functionName: 'checkout', alias: 'live', candidateVersion: '13' }), stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:coalmine', startDate: new Date() });
    lambdaMock.on(ListAliasesCommand).resolves({ Aliases: [{ Name: 'live', FunctionVersion: '12', RevisionId: 'r7', Description: mark, RoutingConfig: { AdditionalVersionWeights: { '13': 0.1 } } }] });
    lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'r8', Description: 'prod' });
    const { handler } = await import('../../functions/cleanup/handler.ts');

    // The event came without the input (too large): Cleanup reads it from Step Functions.
    const result = await handler({ 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { executionArn: execution.id, name: execution.name, status: 'ABORTED', input: null } });

    expect(result).toMatchObject({ action: 'restored', alias: 'live', version: '12' });
    expect(lambdaMock.commandCalls(UpdateAliasCommand)[0]!.args[0].input).toEqual({ FunctionName: 'checkout', Name: 'live', FunctionVersion: '12', RoutingConfig: { AdditionalVersionWeights: {} }, Description: 'prod', RevisionId: 'r7' });
    expect(lambdaMock.commandCalls(GetAliasCommand)).toHaveLength(0);
  });
});
