import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ListAliasesCommand, ListTagsCommand, ListVersionsByFunctionCommand, ResourceNotFoundException, UpdateAliasCommand } from '@aws-sdk/client-lambda';
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

  describe('a target in another region than Coalmine', () => {
    /** The region of the client each mocked call was sent through. */
    const regionsOf = (mock: typeof lambdaMock | typeof sfnMock) => Promise.all(mock.calls().map((call) => (call.thisValue as LambdaClient).config.region()));

    it('plan calls Lambda in the region the request names, never the one Coalmine runs in', async () => {
      lambdaMock.on(GetFunctionConfigurationCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
      const { handler } = await import('../../functions/plan/handler.ts');

      await expect(handler({ request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', region: 'ap-southeast-2' }, execution })).rejects.toHaveProperty('name', 'FunctionNotFoundError');

      expect(lambdaMock.calls().length).toBeGreaterThan(0);
      expect(new Set(await regionsOf(lambdaMock))).toEqual(new Set(['ap-southeast-2']));
    });

    it('plan refuses a function found in another region than the request names, before touching its alias', async () => {
      lambdaMock.on(GetFunctionConfigurationCommand).resolves({ FunctionName: 'checkout', FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout', Timeout: 3 });
      lambdaMock.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '12' }, { Version: '13' }] });
      lambdaMock.on(ListTagsCommand).resolves({ Tags: {} });
      const { handler } = await import('../../functions/plan/handler.ts');

      const planned = handler({ request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', region: 'ca-central-1' }, execution });

      await expect(planned).rejects.toThrow(/^region: ca-central-1 is where the request says checkout is, but the function Coalmine found is in eu-west-1/);
      expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    });

    it('a rollback after Plan failed calls the request’s region, each region’s client built once and kept', async () => {
      lambdaMock.on(ListAliasesCommand).resolves({ Aliases: [] });
      const { handler } = await import('../../functions/rollback/handler.ts');
      const failedPlanIn = (region: string) => ({ functionName: 'checkout', alias: 'live', candidateVersion: '13', region, error: { Error: 'ThrottledError', Cause: 'Rate exceeded' } });

      for (const region of ['sa-east-1', 'sa-east-1', 'eu-north-1']) await handler({ state: failedPlanIn(region), execution });

      const calls = lambdaMock.commandCalls(ListAliasesCommand);
      expect(await regionsOf(lambdaMock)).toEqual(['sa-east-1', 'sa-east-1', 'eu-north-1']);
      expect(calls[0]!.thisValue).toBe(calls[1]!.thisValue);
      expect(calls[2]!.thisValue).not.toBe(calls[0]!.thisValue);
    });

    it('cleanup reads the execution in Coalmine’s region and restores the alias in the function’s', async () => {
      const { ownerMark } = await import('../../src/core/ownership.ts');
      const mark = ownerMark({ executionArn: execution.id, owner: execution.name, stable: '12', candidate: '13', original: 'prod' });
      sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: execution.id, status: 'ABORTED', input: JSON.stringify({ functionName: 'checkout', alias: 'live', candidateVersion: '13', region: 'us-west-2' }), stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:coalmine', startDate: new Date() });
      lambdaMock.on(ListAliasesCommand).resolves({ Aliases: [{ Name: 'live', FunctionVersion: '12', RevisionId: 'r7', Description: mark, RoutingConfig: { AdditionalVersionWeights: { '13': 0.1 } } }] });
      lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'r8', Description: 'prod' });
      const { handler } = await import('../../functions/cleanup/handler.ts');

      const result = await handler({ 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { executionArn: execution.id, name: execution.name, status: 'ABORTED' } });

      expect(result).toMatchObject({ action: 'restored', version: '12' });
      expect(new Set(await regionsOf(lambdaMock))).toEqual(new Set(['us-west-2']));
      expect(await regionsOf(sfnMock)).toEqual(['eu-west-1']);
    });

    it('restore puts the alias back in the target’s region, and refuses a malformed region before any call', async () => {
      lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '13', RevisionId: 'r3', Description: 'prod' });
      lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'r4', Description: 'prod' });
      const { handler } = await import('../../functions/restore/handler.ts');
      const target = { functionName: 'checkout', alias: 'live', stableVersion: '12', candidateVersion: '13' };

      await expect(handler({ ...target, region: 'eu-south-1' })).resolves.toMatchObject({ restored: true, version: '12' });
      expect(new Set(await regionsOf(lambdaMock))).toEqual(new Set(['eu-south-1']));

      lambdaMock.reset();
      await expect(handler({ ...target, region: 'Europe' })).rejects.toThrow(/^Restore input: region: must be a region name/);
      expect(lambdaMock.calls()).toHaveLength(0);
    });
  });
});

describe('the restore handler, given a canary judged after promotion (Lambda mocked)', () => {
  async function regressedState() {
    const { createSimAccount } = await import('../../src/sim/account/index.ts');
    const { loadScenario } = await import('../../src/sim/scenario.ts');
    const { createSteps } = await import('../../src/core/steps/index.ts');
    const account = createSimAccount(loadScenario('healthy'), { seed: 1 });
    const steps = createSteps(account.ports, { judge: vi.fn() });
    const planned = await steps.plan({ request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', postPromotionMinutes: 30 }, execution });
    const promoted = await steps.promote({ state: planned, execution });
    return { ...promoted, progress: { ...promoted.progress, decision: 'rollback' as const }, verdict: { decision: 'rollback' as const, rollbackKind: 'regression' as const, reasons: ['after promotion, the promoted version fails above the bar'], figures: {} } };
  }
  const alias = (version: string, revision: string) => ({ Name: 'live', FunctionVersion: version, Description: 'prod', RevisionId: revision, AliasArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live' });

  it('puts the stable version back with the revision Promote wrote, and ends promoted, then restored', async () => {
    const state = await regressedState();
    lambdaMock.on(GetAliasCommand).resolves(alias('13', state.progress.revisionId));
    lambdaMock.on(UpdateAliasCommand).resolves(alias('12', 'after-restore'));
    const { handler } = await import('../../functions/restore/handler.ts');

    const ended = (await handler({ state, execution })) as { outcome: Record<string, unknown> };

    expect(lambdaMock.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ FunctionName: 'checkout', Name: 'live', FunctionVersion: '12', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: state.progress.revisionId }),
    ]);
    expect(ended.outcome).toMatchObject({ result: 'rolled-back', rollbackKind: 'regression', restoredAfterPromotion: true, alias: { version: '12', routing: {} } });
  });

  it('leaves an alias at another revision as it is, and fails with AliasChangedError', async () => {
    const state = await regressedState();
    lambdaMock.on(GetAliasCommand).resolves(alias('13', 'someone-else'));
    const { handler } = await import('../../functions/restore/handler.ts');

    await expect(handler({ state, execution })).rejects.toHaveProperty('name', 'AliasChangedError');
    expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});
