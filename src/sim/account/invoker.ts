/**
 * Lambda `Invoke` on the simulated account. The simulated function answers a direct invocation of a
 * version as its traffic does: it fails with the version's error rate, and runs into its timeout
 * with the version's timeout rate (a seeded draw per invocation, so a run repeats exactly). Any other
 * function is one a test put in the account (a pre-traffic hook); an unknown one does not exist.
 */
import { FunctionNotFoundError } from '../../core/errors.ts';
import type { FunctionInvoker, InvocationResult } from '../../core/ports.ts';
import { Random } from '../random.ts';
import type { Scenario } from '../scenario.ts';
import type { SimAccountSettings } from './settings.ts';

/** A function of the account other than the canaried one: what it answers to a payload. */
export type SimFunction = (payload: unknown) => InvocationResult | Promise<InvocationResult>;

export function createSimInvoker(options: {
  scenario: Scenario;
  settings: SimAccountSettings;
  seed: number;
  /** The version an unqualified invocation reaches (the alias' own). */
  aliasVersion: () => string;
  others: ReadonlyMap<string, SimFunction>;
}): FunctionInvoker {
  const { scenario, settings, seed, others } = options;
  let invocations = 0;
  return {
    async invoke({ functionName, qualifier, payload }) {
      const name = functionName.replace(/^arn:[^:]+:lambda:[^:]+:\d{12}:function:/, '').split(':')[0]!;
      const other = others.get(name) ?? others.get(functionName);
      if (other) return other(payload);
      if (name !== settings.functionName) throw new FunctionNotFoundError(`Function not found: ${functionName}`);
      const version = qualifier === undefined || qualifier === settings.alias ? options.aliasVersion() : qualifier;
      const behaviour = version === settings.candidateVersion ? scenario.candidate : scenario.stable;
      const draw = Random.for(seed, 0x5e0e, ++invocations).uniform();
      if (draw < behaviour.timeoutRate) {
        return { functionError: 'Unhandled', payload: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${settings.timeoutSeconds.toFixed(2)} seconds` } };
      }
      if (draw < behaviour.timeoutRate + behaviour.errorRate) {
        return { functionError: 'Unhandled', payload: { errorType: 'Error', errorMessage: `simulated failure of ${settings.functionName}:${version}` } };
      }
      return { payload: { statusCode: 200 } };
    },
  };
}
