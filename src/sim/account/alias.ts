/**
 * The simulated function and its alias, as Lambda's API treats them: the alias' version and weights
 * change only through a revision check (or by hand, in the console), and a change Lambda would
 * refuse fails with Lambda's error. Every accepted change reaches the traffic as new routing.
 */
import { AliasChangedError, AliasNotFoundError, FunctionNotFoundError, InvalidVersionError } from '../../core/errors.ts';
import type { AliasChange, AliasState, FunctionInfo, FunctionRegistry, TrafficRouter, VersionConfig } from '../../core/ports.ts';
import type { FaultInjector } from '../faults.ts';
import { mixSeed } from '../random.ts';
import { ACCOUNT_ID, type SimAccountSettings } from './settings.ts';

export interface SimAlias {
  readonly router: TrafficRouter;
  readonly functions: FunctionRegistry;
  now(): AliasState;
  /** Someone changes the alias in the console: no revision check; the revision moves on. */
  changeByHand(change: AliasChange): AliasState;
  /** Someone retags the function (tags are the owner's opt-in to event-started canaries). */
  setTags(tags: Record<string, string>): void;
  /** A version's configuration changes (its State, role or DLQ), as Lambda would report it. */
  setVersionConfig(version: string, config: Partial<Omit<VersionConfig, 'version'>>): void;
}

export interface SimAliasOptions {
  settings: SimAccountSettings;
  seed: number;
  faults: FaultInjector;
  /** Hears each accepted change: the alias' routing as fractions by version. */
  routingChanged(shares: Record<string, number>): void;
}

export function createSimAlias(options: SimAliasOptions): SimAlias {
  const { settings, seed, faults } = options;
  const functionArn = `arn:aws:lambda:${settings.region}:${ACCOUNT_ID}:function:${settings.functionName}`;
  const versions = Array.from({ length: Math.max(Number(settings.stableVersion), Number(settings.candidateVersion)) }, (_, i) => String(i + 1));
  let tags = { ...settings.tags };
  const role = `arn:aws:iam::${ACCOUNT_ID}:role/${settings.functionName}-role`;
  const versionConfigs = new Map<string, VersionConfig>(versions.map((version) => [version, { version, state: 'Active', role }]));
  let revisions = 0;
  const nextRevision = (): string => revisionId(seed, ++revisions);
  let alias: AliasState = {
    functionName: settings.functionName,
    name: settings.alias,
    version: settings.stableVersion,
    weights: {},
    description: settings.description,
    revisionId: nextRevision(),
  };

  function setAlias(next: AliasState): AliasState {
    alias = { ...next, revisionId: nextRevision() };
    options.routingChanged(sharesOf(alias));
    return snapshot(alias);
  }

  function findFunction(name: string): void {
    if (name !== settings.functionName && name !== functionArn) {
      throw new FunctionNotFoundError(`Function not found: arn:aws:lambda:${settings.region}:${ACCOUNT_ID}:function:${name}`);
    }
  }

  function findAlias(functionName: string, name: string): AliasState {
    findFunction(functionName);
    if (name !== alias.name) {
      throw new AliasNotFoundError(`Alias not found: ${functionArn}:${name}`);
    }
    return alias;
  }

  function applyChange(current: AliasState, change: AliasChange): AliasState {
    const version = change.version ?? current.version;
    const weights = change.weights ?? current.weights;
    const description = change.description ?? current.description;
    if (!versions.includes(version)) {
      throw new InvalidVersionError(`Function not found: ${functionArn}:${version}`);
    }
    const additional = Object.entries(weights);
    if (additional.length > 1) throw lambdaError('InvalidParameterValueException', 'Number of items in AdditionalVersionWeights cannot be greater than 1');
    for (const [extra, weight] of additional) {
      if (!versions.includes(extra)) throw new InvalidVersionError(`Function not found: ${functionArn}:${extra}`);
      if (extra === version) throw lambdaError('InvalidParameterValueException', `Cannot set alias ${current.name} to route to version ${extra} as both primary and additional version`);
      if (!(weight >= 0 && weight <= 100)) throw lambdaError('InvalidParameterValueException', `Weight for version ${extra} must be between 0 and 100 percent, got ${weight}`);
    }
    if (description.length > 256) throw lambdaError('InvalidParameterValueException', 'Description must be at most 256 characters');
    return { ...current, version, weights: { ...weights }, description };
  }

  const router: TrafficRouter = {
    getAlias: (functionName, name) =>
      faults.call('router.getAlias', [functionName, name], () => snapshot(findAlias(functionName, name))),
    updateAlias: (functionName, name, change, expectedRevision) =>
      faults.call('router.updateAlias', [functionName, name, change, expectedRevision], () => {
        const current = findAlias(functionName, name);
        if (current.revisionId !== expectedRevision) {
          throw new AliasChangedError(`The RevisionId provided does not match the latest RevisionId for alias ${functionArn}:${name} (someone else changed it)`);
        }
        return setAlias(applyChange(current, change));
      }),
    listAliases: (functionName) =>
      faults.call('router.listAliases', [functionName], () => {
        findFunction(functionName);
        return [snapshot(alias)];
      }),
  };

  const functions: FunctionRegistry = {
    getFunction: (functionName: string) =>
      faults.call('functions.getFunction', [functionName], (): FunctionInfo => {
        findFunction(functionName);
        return { functionName: settings.functionName, functionArn, versions: [...versions], timeoutSeconds: settings.timeoutSeconds, tags: { ...tags }, memoryMB: Object.fromEntries(versions.map((version) => [version, settings.memoryMB])) };
      }),
    getVersion: (functionName, version) =>
      faults.call('functions.getVersion', [functionName, version], (): VersionConfig => {
        findFunction(functionName);
        const config = versionConfigs.get(version);
        if (!config) throw new InvalidVersionError(`Function not found: ${functionArn}:${version}`);
        return { ...config };
      }),
    getConcurrency: (functionName) =>
      faults.call('functions.getConcurrency', [functionName], () => {
        findFunction(functionName);
        return { ...(settings.reservedConcurrency === undefined ? {} : { reserved: settings.reservedConcurrency }), accountUnreserved: settings.unreservedConcurrency };
      }),
  };

  return {
    router,
    functions,
    now: () => snapshot(alias),
    changeByHand: (change) => setAlias(applyChange(alias, change)),
    setTags: (next) => {
      tags = { ...next };
    },
    setVersionConfig: (version, config) => {
      const current = versionConfigs.get(version);
      if (!current) throw new InvalidVersionError(`Function not found: ${functionArn}:${version}`);
      versionConfigs.set(version, { ...current, ...config });
    },
  };
}

/** The alias' routing as fractions by version. */
export function sharesOf(alias: AliasState): Record<string, number> {
  const shares: Record<string, number> = {};
  let additional = 0;
  for (const [version, percent] of Object.entries(alias.weights)) {
    if (percent <= 0) continue;
    shares[version] = percent / 100;
    additional += percent / 100;
  }
  shares[alias.version] = (shares[alias.version] ?? 0) + Math.max(0, 1 - additional);
  return shares;
}

function snapshot(alias: AliasState): AliasState {
  return { ...alias, weights: { ...alias.weights } };
}

/** A UUID-shaped id, deterministic per seed and counter (alias revisions, EventBridge event ids). */
export function revisionId(seed: number, counter: number): string {
  const hex = [1, 2, 3, 4].map((part) => mixSeed(seed, counter, part).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** An error named as Lambda's API names it. */
export function lambdaError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
