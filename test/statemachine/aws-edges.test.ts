/**
 * AWS's edges, through the real statemachine/canary.asl.json on the simulated account: a Lambda
 * invocation whose client timed out is retried, and a duplicate start (a retried CI job, an event
 * delivered twice) is refused without announcing a failure that did not happen.
 */
import { describe, expect, it } from 'vitest';
import { assess } from '../../src/core/judge/index.ts';
import { ownerMark, readOwnerMark } from '../../src/core/ownership.ts';
import type { Ports } from '../../src/core/ports.ts';
import { createSteps, type Steps } from '../../src/core/steps/index.ts';
import { runLocal, type ProgressEvent } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const ORIGINAL = 'checkout production alias';
const scenario = parseScenario(
  {
    name: 'aws-edges',
    minutes: 30,
    traffic: { requestsPerMinute: 6000 },
    stable: { errorRate: 0.001, latencyMs: { median: 80, p99: 400 } },
    strategy: { steps: [20, 50], intervalMinutes: 1 },
    account: { description: ORIGINAL },
  },
  'aws-edges.json',
);

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('the state machine at the edges of AWS', () => {
  it('retries a Lambda invocation whose client timed out (Lambda.ClientExecutionTimeoutException) and still promotes', async () => {
    const account = createSimAccount(scenario, { seed: 1 });
    const entered: string[] = [];
    let thrown = 0;
    const steps = (ports: Ports): Steps => {
      const real = createSteps(ports, { judge: assess });
      return {
        ...real,
        shift: async (payload) => {
          if (thrown++ === 0) throw named('Lambda.ClientExecutionTimeoutException', 'Lambda invocation timed out on the client side (injected)');
          return real.shift(payload);
        },
      };
    };
    const onEvent = (event: ProgressEvent) => {
      if (event.type === 'state' && event.event.type === 'StateRetried') entered.push(event.event.state!);
    };

    const result = await runLocal({ scenario, seed: 1, account, steps, onEvent });

    expect(thrown).toBeGreaterThan(1);
    expect(entered).toContain('Shift traffic');
    expect(result.outcome).toBe('promoted');
    expect(account.aliasNow()).toMatchObject({ version: '13', weights: {}, description: ORIGINAL });
  });

  it('refuses a duplicate start for an alias in a canary, touches nothing, and announces no "Canary Failed"', async () => {
    const account = createSimAccount(scenario, { seed: 1 });
    const running = ownerMark({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:coalmine-canary:checkout_live_v13_first', owner: 'checkout_live_v13_first', stable: '12', candidate: '13', original: ORIGINAL });
    const before = account.changeAliasByHand({ weights: { '13': 20 }, description: running });
    const path: string[] = [];

    const result = await runLocal({
      scenario,
      seed: 1,
      account,
      onEvent: (event) => {
        if (event.type === 'state' && event.event.type === 'StateEntered') path.push(event.event.state!);
      },
    });

    expect(result).toMatchObject({ outcome: 'failed', errorName: 'CanaryInProgressError' });
    expect(path).not.toContain('Announce the failure');
    expect(account.events.map((event) => event.detailType)).not.toContain('Canary Failed');
    // The running canary's alias is exactly as it was: its routing, its mark, its revision.
    expect(account.aliasNow()).toEqual(before);
    expect(readOwnerMark(account.aliasNow().description)?.owner).toBe('checkout_live_v13_first');
  });
});
