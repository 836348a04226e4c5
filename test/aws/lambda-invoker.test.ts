import { InvokeCommand, LambdaClient, type InvokeCommandOutput, ResourceNotFoundException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { lambdaFunctionInvoker } from '../../src/aws/lambda.ts';
import { FunctionNotFoundError, ThrottledError } from '../../src/core/errors.ts';
import { ownerMark } from '../../src/core/ownership.ts';
import { createPreTraffic } from '../../src/core/steps/pre-traffic.ts';
import type { CanaryState } from '../../src/core/state.ts';
import { canaryPlan, canaryState, executionRef } from '../helpers/factories.ts';

const lambdaMock = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'eu-west-1' });
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
/** Lambda's answer: the SDK wraps Payload in a blob adapter, which a plain Uint8Array stands in for. */
const lambdaAnswer = (value: Record<string, unknown>) => value as unknown as InvokeCommandOutput;

beforeEach(() => {
  lambdaMock.reset();
});

describe('lambdaFunctionInvoker', () => {
  it('invokes the version named by Qualifier, synchronously, with the event as JSON', async () => {
    lambdaMock.on(InvokeCommand).resolves(lambdaAnswer({ StatusCode: 200, Payload: encode({ statusCode: 200 }) }));

    const answer = await lambdaFunctionInvoker(client).invoke({ functionName: 'checkout', qualifier: '13', payload: { path: '/health' } });

    expect(answer).toEqual({ payload: { statusCode: 200 } });
    const input = lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'checkout', Qualifier: '13', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({ path: '/health' });
  });

  it('gives a function error as an answer, with the error Lambda reported', async () => {
    lambdaMock.on(InvokeCommand).resolves(lambdaAnswer({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds' }) }));

    const answer = await lambdaFunctionInvoker(client).invoke({ functionName: 'checkout', qualifier: '13', payload: {} });

    expect(answer).toEqual({ functionError: 'Unhandled', payload: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds' } });
  });

  it('sends no Qualifier when none is given, and keeps an answer that is not JSON as text', async () => {
    lambdaMock.on(InvokeCommand).resolves(lambdaAnswer({ StatusCode: 200, Payload: new TextEncoder().encode('ok') }));

    const answer = await lambdaFunctionInvoker(client).invoke({ functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:hook:live', payload: {} });

    expect(answer).toEqual({ payload: 'ok' });
    expect(lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input).not.toHaveProperty('Qualifier');
  });

  it('names a missing function or version, and a throttle, as Coalmine errors', async () => {
    lambdaMock.on(InvokeCommand).rejectsOnce(new ResourceNotFoundException({ message: 'Function not found: checkout:99', $metadata: {} })).rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    const invoker = lambdaFunctionInvoker(client);

    await expect(invoker.invoke({ functionName: 'checkout', qualifier: '99', payload: {} })).rejects.toThrow(FunctionNotFoundError);
    await expect(invoker.invoke({ functionName: 'checkout', qualifier: '13', payload: {} })).rejects.toThrow(ThrottledError);
  });
});

describe('the check before traffic on the Lambda API', () => {
  const state = (preTraffic: NonNullable<CanaryState['plan']['preTraffic']>): CanaryState => canaryState({ plan: canaryPlan({ preTraffic }) });
  const execution = executionRef('run-1', { stateMachine: 'coalmine-canary' });
  const alias = { functionName: 'checkout', name: 'live', version: '12', weights: {}, description: ownerMark({ executionArn: execution.id, owner: execution.name, stable: '12', candidate: '13', original: '' }), revisionId: 'rev-1' };
  const router = {
    getAlias: async () => alias,
    listAliases: async () => [alias],
    updateAlias: async () => {
      throw new Error('the check before traffic never writes the alias');
    },
  };

  it('stops at the first smoke event the candidate version fails, and decides a rollback', async () => {
    lambdaMock.on(InvokeCommand).resolvesOnce(lambdaAnswer({ StatusCode: 200, Payload: encode({}) })).resolves(lambdaAnswer({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({ errorType: 'TypeError', errorMessage: 'cart is undefined' }) }));
    const check = createPreTraffic({ router, invoker: lambdaFunctionInvoker(client) });

    const after = await check({ state: state({ smokeEvents: [{ n: 1 }, { n: 2 }, { n: 3 }] }), execution });

    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(2);
    expect(after.progress).toMatchObject({ decision: 'rollback', checkedBeforeTraffic: true });
    expect(after.verdict?.reasons).toEqual(['smoke event 2 of 3: version 13 failed with TypeError: cart is undefined; no traffic was shifted']);
  });

  it('passes when every smoke event and the hook succeed, and leaves the decision as Plan made it', async () => {
    lambdaMock.on(InvokeCommand, { FunctionName: 'checkout' }).resolves(lambdaAnswer({ StatusCode: 200, Payload: encode({ ok: true }) }));
    lambdaMock.on(InvokeCommand, { FunctionName: 'checkout-hook' }).resolves(lambdaAnswer({ StatusCode: 200, Payload: encode({ status: 'Succeeded' }) }));
    const check = createPreTraffic({ router, invoker: lambdaFunctionInvoker(client) });

    const after = await check({ state: state({ smokeEvents: [{}], hookFunction: 'checkout-hook' }), execution });

    expect(after.progress).toMatchObject({ decision: 'advance', checkedBeforeTraffic: true });
    expect(after.status).toBe('Checked before traffic: 1 smoke event passed on version 13; hook checkout-hook answered Succeeded');
    const hookPayload = JSON.parse(new TextDecoder().decode(lambdaMock.commandCalls(InvokeCommand)[1]!.args[0].input.Payload as Uint8Array));
    expect(hookPayload).toMatchObject({ lifecycleEvent: 'BeforeAllowTraffic', execution: 'run-1', candidateVersion: '13', plan: { functionName: 'checkout' } });
  });
});
