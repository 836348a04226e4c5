import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, GetFunctionConfigurationCommand, LambdaClient, ListTagsCommand, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { lambdaFunctionRegistry } from '../../src/aws/lambda.ts';
import { ThrottledError } from '../../src/core/errors.ts';

const lambdaMock = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'eu-west-1' });
const denied = () => Object.assign(new Error('User is not authorized to perform: lambda:GetAccountSettings'), { name: 'AccessDeniedException', $metadata: {} });

beforeEach(() => {
  lambdaMock.reset();
});

describe('the function registry’s concurrency', () => {
  it('reads the function’s reserved concurrency and the account’s unreserved pool', async () => {
    lambdaMock.on(GetFunctionConcurrencyCommand, { FunctionName: 'checkout' }).resolves({ ReservedConcurrentExecutions: 50 });
    lambdaMock.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 850 } });

    expect(await lambdaFunctionRegistry(client).getConcurrency!('checkout')).toEqual({ reserved: 50, accountUnreserved: 850 });
  });

  it('reports no reservation when the function has none, and goes on without the account’s pool when it may not be read', async () => {
    lambdaMock.on(GetFunctionConcurrencyCommand).resolves({});
    lambdaMock.on(GetAccountSettingsCommand).rejects(denied());

    expect(await lambdaFunctionRegistry(client).getConcurrency!('checkout')).toEqual({});
  });

  it('lets throttling through to the state machine’s retries', async () => {
    lambdaMock.on(GetFunctionConcurrencyCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: {} }));

    await expect(lambdaFunctionRegistry(client).getConcurrency!('checkout')).rejects.toBeInstanceOf(ThrottledError);
  });

  it('reads where and how the function logs, for the cold-start query', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ FunctionName: 'checkout', FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout', LoggingConfig: { LogFormat: 'JSON', LogGroup: '/shared/logs' } });
    lambdaMock.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '12' }] });
    lambdaMock.on(ListTagsCommand).resolves({ Tags: {} });

    expect((await lambdaFunctionRegistry(client).getFunction('checkout')).logging).toEqual({ logGroup: '/shared/logs', format: 'JSON' });
  });
});
