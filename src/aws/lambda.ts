/**
 * Lambda adapters: the alias router (TrafficRouter), the function registry (FunctionRegistry) and the
 * Lambda half of the QueueInspector (event source mappings). Each takes its LambdaClient, so tests
 * use `aws-sdk-client-mock` and handlers share one module-scope client.
 */
import {
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  ListAliasesCommand,
  InvokeCommand,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
  type AliasConfiguration,
  type EventSourceMappingConfiguration,
  type LambdaClient,
  type UpdateAliasCommandInput,
} from '@aws-sdk/client-lambda';
import { AccessDeniedError, AliasChangedError, AliasNotFoundError, FunctionNotFoundError, InvalidVersionError, TransientServiceError } from '../core/errors.ts';
import type { AliasChange, AliasState, FunctionConcurrency, FunctionInfo, FunctionInvoker, FunctionRegistry, TrafficRouter, VersionConfig } from '../core/ports.ts';
import { lambdaFunctionName, unqualifiedFunctionArn } from '../core/arn.ts';
import { callAws } from './errors.ts';

/**
 * Lambda speaks weights as fractions (0..1), Coalmine as percent (0..100). Fractions are kept to six
 * decimals (percent to four), which is finer than any step a canary takes and keeps 10 ↔ 0.1 exact
 * after a round trip through binary floating point.
 *
 * @example
 * percentToFraction(10); // 0.1
 */
export function percentToFraction(percent: number): number {
  return Math.round(percent * 10_000) / 1_000_000;
}

/** @example fractionToPercent(0.1); // 10 */
export function fractionToPercent(fraction: number): number {
  return Math.round(fraction * 1_000_000) / 10_000;
}

export function weightsToRouting(weights: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(weights).map(([version, percent]) => [version, percentToFraction(percent)]));
}

export function routingToWeights(routing: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(routing ?? {}).map(([version, fraction]) => [version, fractionToPercent(fraction)]));
}

function aliasState(functionName: string, alias: string, config: AliasConfiguration): AliasState {
  if (!config.FunctionVersion || !config.RevisionId) {
    // Lambda always returns both; without them nothing safe can be done, so let the state machine retry.
    throw new TransientServiceError(`lambda:GetAlias: ${functionName}:${alias} came back without FunctionVersion or RevisionId`);
  }
  return {
    functionName,
    name: config.Name ?? alias,
    version: config.FunctionVersion,
    weights: routingToWeights(config.RoutingConfig?.AdditionalVersionWeights),
    description: config.Description ?? '',
    revisionId: config.RevisionId,
  };
}

/**
 * Lambda aliases as a TrafficRouter. Every update carries the caller's `RevisionId`: Lambda refuses
 * it with PreconditionFailedException when the alias has moved on, which becomes AliasChangedError.
 */
export function lambdaTrafficRouter(client: LambdaClient): TrafficRouter {
  const aliasNotFound = (functionName: string, alias: string) => ({
    notFound: (message: string, cause: unknown) =>
      new AliasNotFoundError(`alias ${alias} of function ${functionName} does not exist (${message})`, { cause }),
  });

  const router: TrafficRouter = {
    async getAlias(functionName, alias) {
      const config = await callAws(
        'lambda:GetAlias',
        () => client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias })),
        aliasNotFound(functionName, alias),
      );
      return aliasState(functionName, alias, config);
    },

    async updateAlias(functionName, alias, change: AliasChange, revisionId) {
      const input: UpdateAliasCommandInput = { FunctionName: functionName, Name: alias, RevisionId: revisionId };
      if (change.version !== undefined) input.FunctionVersion = change.version;
      if (change.description !== undefined) input.Description = change.description;
      // UpdateAlias leaves fields that are omitted as they are; an empty AdditionalVersionWeights map is
      // how routing is removed (UpdateAlias API reference: RoutingConfig, AliasRoutingConfiguration).
      if (change.weights !== undefined) input.RoutingConfig = { AdditionalVersionWeights: weightsToRouting(change.weights) };
      try {
        const config = await callAws(
          'lambda:UpdateAlias',
          () => client.send(new UpdateAliasCommand(input)),
          aliasNotFound(functionName, alias),
        );
        return aliasState(functionName, alias, config);
      } catch (error) {
        if (!(error instanceof AliasChangedError)) throw error;
        // The SDK retries a request whose answer was lost (a socket timeout) with the same RevisionId.
        // If the first attempt had been applied, the retry is refused as stale: the alias then is
        // exactly what was asked for, and the write is ours, not someone else's.
        const now = await router.getAlias(functionName, alias);
        if (isApplied(now, change)) return now;
        throw error;
      }
    },

    async listAliases(functionName) {
      const aliases: AliasState[] = [];
      let marker: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await callAws(
          'lambda:ListAliases',
          () => client.send(new ListAliasesCommand({ FunctionName: functionName, Marker: marker, MaxItems: 50 })),
          { notFound: (message, cause) => new FunctionNotFoundError(`function ${functionName} does not exist or may not be read (${message})`, { cause }) },
        );
        for (const config of out.Aliases ?? []) aliases.push(aliasState(functionName, config.Name ?? '', config));
        marker = out.NextMarker;
        if (!marker) return aliases;
      }
      throw new TransientServiceError(`lambda:ListAliases: ${functionName} still had more aliases after ${MAX_PAGES} pages`);
    },
  };
  return router;
}

/** True when the alias already shows every field of `change` (weights compared as Lambda stores them). */
export function isApplied(alias: AliasState, change: AliasChange): boolean {
  if (change.version !== undefined && alias.version !== change.version) return false;
  if (change.description !== undefined && alias.description !== change.description) return false;
  if (change.weights !== undefined) {
    const want = routingToWeights(weightsToRouting(change.weights));
    const have = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
    const wanted = Object.entries(want).filter(([, weight]) => weight > 0);
    if (have.length !== wanted.length || wanted.some(([version, weight]) => alias.weights[version] !== weight)) return false;
  }
  return true;
}

/** Pages are bounded so that a misbehaving marker can never loop forever. */
const MAX_PAGES = 1_000;

/** Lambda functions as a FunctionRegistry: configuration, published versions and tags. */
export function lambdaFunctionRegistry(client: LambdaClient): FunctionRegistry {
  return {
    async getFunction(functionName): Promise<FunctionInfo> {
      const notFound = {
        notFound: (message: string, cause: unknown) =>
          new FunctionNotFoundError(`function ${functionName} does not exist or may not be read (${message})`, { cause }),
      };
      const config = await callAws(
        'lambda:GetFunctionConfiguration',
        () => client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
        notFound,
      );
      const functionArn = unqualifiedFunctionArn(config.FunctionArn ?? functionName);

      const versions: string[] = [];
      const memoryMB: Record<string, number> = {};
      let marker: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await callAws(
          'lambda:ListVersionsByFunction',
          () => client.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker: marker, MaxItems: 50 })),
          notFound,
        );
        for (const version of out.Versions ?? []) {
          if (version.Version && /^\d+$/.test(version.Version)) {
            versions.push(version.Version);
            if (typeof version.MemorySize === 'number') memoryMB[version.Version] = version.MemorySize;
          }
        }
        marker = out.NextMarker;
        if (!marker) break;
      }
      if (marker) throw new TransientServiceError(`lambda:ListVersionsByFunction: ${functionName} still had more versions after ${MAX_PAGES} pages`);
      versions.sort((a, b) => Number(a) - Number(b));

      // Tags live on the unqualified function (Lambda does not tag versions or aliases).
      const tags = await callAws('lambda:ListTags', () => client.send(new ListTagsCommand({ Resource: functionArn })), notFound);

      return {
        functionName: config.FunctionName ?? lambdaFunctionName(functionName),
        functionArn,
        versions,
        timeoutSeconds: config.Timeout ?? 3,
        tags: tags.Tags ?? {},
        memoryMB,
        ...(config.LoggingConfig ? { logging: { logGroup: config.LoggingConfig.LogGroup ?? `/aws/lambda/${config.FunctionName ?? lambdaFunctionName(functionName)}`, format: config.LoggingConfig.LogFormat ?? 'Text' } } : {}),
      };
    },

    async getVersion(functionName, version): Promise<VersionConfig> {
      // ListVersionsByFunction leaves out State; GetFunctionConfiguration of the version has it.
      const config = await callAws(
        'lambda:GetFunctionConfiguration',
        () => client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version })),
        { notFound: (message, cause) => new InvalidVersionError(`${functionName} has no published version ${version} (${message})`, { cause }) },
      );
      return {
        version,
        // Lambda reports no State only for functions made before states existed: those are active.
        state: config.State ?? 'Active',
        ...(config.StateReason ? { stateReason: config.StateReason } : {}),
        role: config.Role ?? '',
        ...(config.DeadLetterConfig?.TargetArn ? { deadLetterTargetArn: config.DeadLetterConfig.TargetArn } : {}),
      };
    },

    async getConcurrency(functionName): Promise<FunctionConcurrency> {
      const own = await callAws('lambda:GetFunctionConcurrency', () => client.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })));
      // The account's pool is only a fallback: a role without GetAccountSettings still canaries.
      let accountUnreserved: number | undefined;
      try {
        const account = await callAws('lambda:GetAccountSettings', () => client.send(new GetAccountSettingsCommand({})));
        accountUnreserved = account.AccountLimit?.UnreservedConcurrentExecutions;
      } catch (error) {
        if (!(error instanceof AccessDeniedError)) throw error;
      }
      return {
        ...(own.ReservedConcurrentExecutions === undefined ? {} : { reserved: own.ReservedConcurrentExecutions }),
        ...(accountUnreserved === undefined ? {} : { accountUnreserved }),
      };
    },
  };
}

/** The Lambda half of the QueueInspector: the function's event source mappings. */
export interface EventSourceMappings {
  /** Every mapping that invokes the function, whatever the qualifier (version, alias or none). */
  listForFunction(functionName: string): Promise<EventSourceMappingConfiguration[]>;
}

/**
 * Lists mappings of every qualifier. The API reference does not say that filtering by an unqualified
 * name includes mappings on the function's aliases and versions, and a mapping on the alias is exactly
 * the one a canary must see; so this lists the region's mappings and keeps those whose FunctionArn
 * names the function, whatever follows it. (`lambda:ListEventSourceMappings` takes no resource ARN
 * either way.)
 */
export function lambdaEventSourceMappings(client: LambdaClient): EventSourceMappings {
  return {
    async listForFunction(functionName) {
      // With a full ARN, match the account and region too; with a name, the listing is this account's already.
      const byArn = functionName.startsWith('arn:');
      const wanted = byArn ? unqualifiedFunctionArn(functionName) : lambdaFunctionName(functionName);
      const identity = (arn: string) => (byArn ? unqualifiedFunctionArn(arn) : lambdaFunctionName(arn));
      const mappings: EventSourceMappingConfiguration[] = [];
      let marker: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await callAws('lambda:ListEventSourceMappings', () =>
          client.send(new ListEventSourceMappingsCommand({ Marker: marker, MaxItems: 100 })),
        );
        for (const mapping of out.EventSourceMappings ?? []) {
          if (mapping.FunctionArn && identity(mapping.FunctionArn) === wanted) mappings.push(mapping);
        }
        marker = out.NextMarker;
        if (!marker) return mappings;
      }
      throw new TransientServiceError(`lambda:ListEventSourceMappings: still more mappings after ${MAX_PAGES} pages`);
    },
  };
}

/**
 * Lambda `Invoke` (RequestResponse) as a FunctionInvoker. A function error comes back as the
 * answer's `functionError` with its error in the payload (Lambda's `X-Amz-Function-Error`); an
 * invocation that cannot happen (no such function or version, access denied, throttled) throws.
 */
export function lambdaFunctionInvoker(client: LambdaClient): FunctionInvoker {
  return {
    async invoke({ functionName, qualifier, payload }) {
      const out = await callAws(
        'lambda:InvokeFunction',
        () =>
          client.send(
            new InvokeCommand({
              FunctionName: functionName,
              ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
              InvocationType: 'RequestResponse',
              Payload: new TextEncoder().encode(JSON.stringify(payload ?? null)),
            }),
          ),
        {
          notFound: (message: string, cause: unknown) =>
            new FunctionNotFoundError(`function ${functionName}${qualifier === undefined ? '' : `:${qualifier}`} does not exist or may not be invoked (${message})`, { cause }),
        },
      );
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      return { ...(out.FunctionError ? { functionError: out.FunctionError } : {}), payload: parseAnswer(text) };
    },
  };
}

function parseAnswer(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
