import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListAliasesCommand,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AliasChangedError,
  AliasNotFoundError,
  FunctionNotFoundError,
  InvalidVersionError,
  ThrottledError,
  TransientServiceError,
} from '../../src/core/errors.ts';
import {
  fractionToPercent,
  lambdaEventSourceMappings,
  lambdaFunctionRegistry,
  lambdaTrafficRouter,
  percentToFraction,
} from '../../src/aws/lambda.ts';

const lambdaMock = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'eu-west-1' });
const fnArn = 'arn:aws:lambda:eu-west-1:123456789012:function:checkout';

beforeEach(() => {
  lambdaMock.reset();
});

describe('percentToFraction / fractionToPercent', () => {
  it('converts 10 percent to 0.1 and back exactly', () => {
    expect(percentToFraction(10)).toBe(0.1);
    expect(fractionToPercent(0.1)).toBe(10);
  });

  it('round-trips any weight with up to four decimals of a percent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (tenThousandths) => {
        const percent = tenThousandths / 10_000;
        expect(fractionToPercent(percentToFraction(percent))).toBe(percent);
      }),
    );
  });

  it('keeps every percent in 0..100 as a fraction in 0..1', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), (percent) => {
        const fraction = percentToFraction(percent);
        expect(fraction).toBeGreaterThanOrEqual(0);
        expect(fraction).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('lambdaTrafficRouter', () => {
  it('reads an alias with its routing in percent and its revision', async () => {
    lambdaMock.on(GetAliasCommand).resolves({
      Name: 'live',
      FunctionVersion: '12',
      RoutingConfig: { AdditionalVersionWeights: { '13': 0.25 } },
      Description: 'prod',
      RevisionId: 'rev-1',
    });

    const alias = await lambdaTrafficRouter(client).getAlias('checkout', 'live');

    expect(alias).toEqual({ functionName: 'checkout', name: 'live', version: '12', weights: { '13': 25 }, description: 'prod', revisionId: 'rev-1' });
    expect(lambdaMock.commandCalls(GetAliasCommand)[0]!.args[0].input).toEqual({ FunctionName: 'checkout', Name: 'live' });
  });

  it('sends the weights as fractions with the RevisionId it was given', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RoutingConfig: { AdditionalVersionWeights: { '13': 0.1 } }, RevisionId: 'rev-2' });

    const after = await lambdaTrafficRouter(client).updateAlias('checkout', 'live', { version: '12', weights: { '13': 10 } }, 'rev-1');

    expect(lambdaMock.commandCalls(UpdateAliasCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '12',
      RoutingConfig: { AdditionalVersionWeights: { '13': 0.1 } },
      RevisionId: 'rev-1',
    });
    expect(after.weights).toEqual({ '13': 10 });
    expect(after.revisionId).toBe('rev-2');
  });

  it('removes the routing with an empty weights map when asked for none', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '13', RevisionId: 'rev-3' });

    await lambdaTrafficRouter(client).updateAlias('checkout', 'live', { version: '13', weights: {}, description: 'prod' }, 'rev-2');

    expect(lambdaMock.commandCalls(UpdateAliasCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '13',
      Description: 'prod',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'rev-2',
    });
  });

  it('leaves out what the change does not name, so Lambda keeps it', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'rev-4' });

    await lambdaTrafficRouter(client).updateAlias('checkout', 'live', { description: 'coalmine:exec-1' }, 'rev-3');

    const input = lambdaMock.commandCalls(UpdateAliasCommand)[0]!.args[0].input;
    expect(input).toEqual({ FunctionName: 'checkout', Name: 'live', Description: 'coalmine:exec-1', RevisionId: 'rev-3' });
  });

  it('throws AliasChangedError when Lambda rejects a stale RevisionId', async () => {
    lambdaMock.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'The RevisionId provided does not match', $metadata: {} }));
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '11', RevisionId: 'theirs', Description: 'pinned by hand' });

    const update = lambdaTrafficRouter(client).updateAlias('checkout', 'live', { weights: { '13': 10 } }, 'stale');

    await expect(update).rejects.toBeInstanceOf(AliasChangedError);
    await expect(update).rejects.toHaveProperty('cause.name', 'PreconditionFailedException');
  });

  it('recognises its own write when the answer was lost and the SDK retry is refused as stale', async () => {
    // First attempt applied (answer lost to a socket timeout); the SDK's retry carries the old RevisionId.
    lambdaMock.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'The RevisionId provided does not match', $metadata: {} }));
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'rev-4', RoutingConfig: { AdditionalVersionWeights: { '13': 0.1 } } });

    const after = await lambdaTrafficRouter(client).updateAlias('checkout', 'live', { version: '12', weights: { '13': 10 } }, 'rev-3');

    expect(after).toMatchObject({ version: '12', weights: { '13': 10 }, revisionId: 'rev-4' });
  });

  it.each([
    ['another version', { FunctionVersion: '11', RoutingConfig: { AdditionalVersionWeights: { '13': 0.1 } } }],
    ['other weights', { FunctionVersion: '12', RoutingConfig: { AdditionalVersionWeights: { '13': 0.5 } } }],
    ['no routing', { FunctionVersion: '12' }],
  ])('still refuses a stale RevisionId when the alias shows %s (someone else wrote it)', async (_what, alias) => {
    lambdaMock.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'The RevisionId provided does not match', $metadata: {} }));
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', RevisionId: 'theirs', ...alias });

    await expect(lambdaTrafficRouter(client).updateAlias('checkout', 'live', { version: '12', weights: { '13': 10 } }, 'rev-3')).rejects.toBeInstanceOf(AliasChangedError);
    expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(1);
  });

  it('throws AliasNotFoundError when the alias does not exist', async () => {
    lambdaMock.on(GetAliasCommand).rejects(new ResourceNotFoundException({ message: 'Alias not found', $metadata: {} }));

    await expect(lambdaTrafficRouter(client).getAlias('checkout', 'nope')).rejects.toBeInstanceOf(AliasNotFoundError);
  });

  it('throws ThrottledError when Lambda throttles', async () => {
    lambdaMock.on(GetAliasCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    await expect(lambdaTrafficRouter(client).getAlias('checkout', 'live')).rejects.toBeInstanceOf(ThrottledError);
  });

  it('throws TransientServiceError when Lambda fails on its side', async () => {
    lambdaMock.on(GetAliasCommand).rejects(new ServiceException({ message: 'internal', $metadata: { httpStatusCode: 500 } }));

    await expect(lambdaTrafficRouter(client).getAlias('checkout', 'live')).rejects.toBeInstanceOf(TransientServiceError);
  });
});

describe('lambdaFunctionRegistry', () => {
  it('reads the configuration, every page of versions (without $LATEST, ascending) and the tags', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ FunctionName: 'checkout', FunctionArn: fnArn, Timeout: 15 });
    lambdaMock
      .on(ListVersionsByFunctionCommand, { Marker: undefined })
      .resolves({ Versions: [{ Version: '$LATEST', MemorySize: 256 }, { Version: '10', MemorySize: 512 }, { Version: '9', MemorySize: 512 }], NextMarker: 'page-2' })
      .on(ListVersionsByFunctionCommand, { Marker: 'page-2' })
      .resolves({ Versions: [{ Version: '11', MemorySize: 1024 }] });
    lambdaMock.on(ListTagsCommand).resolves({ Tags: { 'coalmine:alias': 'live' } });

    const info = await lambdaFunctionRegistry(client).getFunction('checkout');

    expect(info).toEqual({ functionName: 'checkout', functionArn: fnArn, versions: ['9', '10', '11'], timeoutSeconds: 15, tags: { 'coalmine:alias': 'live' }, memoryMB: { '9': 512, '10': 512, '11': 1024 } });
    expect(lambdaMock.commandCalls(ListVersionsByFunctionCommand)).toHaveLength(2);
    expect(lambdaMock.commandCalls(ListTagsCommand)[0]!.args[0].input).toEqual({ Resource: fnArn });
  });

  it('reads tags from the unqualified function even when given a qualified ARN', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ FunctionName: 'checkout', FunctionArn: `${fnArn}:$LATEST`, Timeout: 3 });
    lambdaMock.on(ListVersionsByFunctionCommand).resolves({ Versions: [] });
    lambdaMock.on(ListTagsCommand).resolves({});

    const info = await lambdaFunctionRegistry(client).getFunction(`${fnArn}:live`);

    expect(info.functionArn).toBe(fnArn);
    expect(info.tags).toEqual({});
  });

  it('throws FunctionNotFoundError when the function does not exist', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));

    await expect(lambdaFunctionRegistry(client).getFunction('ghost')).rejects.toBeInstanceOf(FunctionNotFoundError);
  });
});

describe('lambdaEventSourceMappings', () => {
  it('keeps the mappings of every qualifier of the function, across pages', async () => {
    lambdaMock
      .on(ListEventSourceMappingsCommand, { Marker: undefined })
      .resolves({
        EventSourceMappings: [
          { UUID: 'a', FunctionArn: `${fnArn}:live` },
          { UUID: 'b', FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout-worker' },
        ],
        NextMarker: 'next',
      })
      .on(ListEventSourceMappingsCommand, { Marker: 'next' })
      .resolves({ EventSourceMappings: [{ UUID: 'c', FunctionArn: fnArn }, { UUID: 'd', FunctionArn: `${fnArn}:7` }] });

    const mappings = await lambdaEventSourceMappings(client).listForFunction('checkout');

    expect(mappings.map((m) => m.UUID)).toEqual(['a', 'c', 'd']);
    expect(lambdaMock.commandCalls(ListEventSourceMappingsCommand)).toHaveLength(2);
  });
});

describe('lambdaTrafficRouter.listAliases', () => {
  it('lists every alias, page after page, as AliasStates', async () => {
    lambdaMock
      .on(ListAliasesCommand)
      .resolvesOnce({ Aliases: [{ Name: 'live', FunctionVersion: '12', RevisionId: 'r1', Description: 'd' }], NextMarker: 'p2' })
      .resolvesOnce({ Aliases: [{ Name: 'beta', FunctionVersion: '13', RevisionId: 'r2', RoutingConfig: { AdditionalVersionWeights: { '14': 0.25 } } }] });

    const aliases = await lambdaTrafficRouter(client).listAliases('checkout');

    expect(aliases.map((alias) => [alias.name, alias.version, alias.weights])).toEqual([
      ['live', '12', {}],
      ['beta', '13', { '14': 25 }],
    ]);
    expect(lambdaMock.commandCalls(ListAliasesCommand)[1]!.args[0].input.Marker).toBe('p2');
  });
});

describe('lambdaFunctionRegistry.getVersion', () => {
  it('reads the version\'s State, role and dead-letter target (which ListVersionsByFunction leaves out)', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand, { FunctionName: 'checkout', Qualifier: '13' }).resolves({
      Version: '13',
      State: 'Pending',
      StateReason: 'The function is being created.',
      Role: 'arn:aws:iam::123456789012:role/checkout',
      DeadLetterConfig: { TargetArn: 'arn:aws:sqs:eu-west-1:123456789012:checkout-dlq' },
    });

    expect(await lambdaFunctionRegistry(client).getVersion('checkout', '13')).toEqual({
      version: '13',
      state: 'Pending',
      stateReason: 'The function is being created.',
      role: 'arn:aws:iam::123456789012:role/checkout',
      deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:checkout-dlq',
    });
  });

  it('names a version that does not exist', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));

    await expect(lambdaFunctionRegistry(client).getVersion('checkout', '99')).rejects.toBeInstanceOf(InvalidVersionError);
  });
});
