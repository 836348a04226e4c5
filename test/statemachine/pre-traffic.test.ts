/**
 * Checks before traffic through the real statemachine/canary.asl.json: the candidate version is
 * invoked with the request's smoke events, then the user's hook is asked, before any user reaches
 * the candidate. The simulated function answers a direct invocation as its traffic would (its
 * scenario's error rate); hooks are functions put in the simulated account.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionEvent, RunResult } from '../../src/local/record.ts';
import { runLocal, type ProgressEvent } from '../../src/local/runner.ts';
import { createSimAccount, type SimAccount } from '../../src/sim/account/index.ts';
import { parseScenario, type Scenario } from '../../src/sim/scenario.ts';

const ORIGINAL = 'checkout production alias';
const HOOK = 'arn:aws:lambda:us-east-1:123456789012:function:checkout-before-traffic';

function scenario(candidateErrorRate: number): Scenario {
  return parseScenario(
    {
      name: 'pre-traffic',
      minutes: 30,
      traffic: { requestsPerMinute: 6000 },
      stable: { errorRate: 0.001, latencyMs: { median: 80, p99: 400 } },
      candidate: { errorRate: candidateErrorRate },
      strategy: { steps: [20, 50], intervalMinutes: 1 },
      account: { description: ORIGINAL },
    },
    'pre-traffic.json',
  );
}

async function run(options: { candidateErrorRate?: number; preTraffic: unknown; arrange?: (account: SimAccount) => void }): Promise<{ account: SimAccount; result: RunResult; path: string[]; events: ExecutionEvent[] }> {
  const chosen = scenario(options.candidateErrorRate ?? 0.001);
  const account = createSimAccount(chosen, { seed: 1 });
  options.arrange?.(account);
  const events: ExecutionEvent[] = [];
  const onEvent = (event: ProgressEvent) => {
    if (event.type === 'state') events.push(event.event);
  };
  const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: { steps: [20, 50], intervalMinutes: 1 }, preTraffic: options.preTraffic };
  const result = await runLocal({ scenario: chosen, seed: 1, account, request, onEvent });
  return { account, result, events, path: events.filter((event) => event.type === 'StateEntered').map((event) => event.state!) };
}

describe('checks before traffic', () => {
  it('rolls back a candidate that fails a smoke event before any user reaches it, and says why', async () => {
    const { account, result, path } = await run({ candidateErrorRate: 1, preTraffic: { smokeEvents: [{ path: '/health' }, { path: '/cart' }] } });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.reason).toMatch(/smoke event 1 of 2: version 13 failed with Error: simulated failure of checkout:13; no traffic was shifted/);
    expect(result.alias).toEqual({ version: '12', routing: {} });
    expect(account.aliasNow().description).toBe(ORIGINAL);
    expect(account.firstShiftAt()).toBeUndefined();
    expect(path).not.toContain('Shift traffic');
    expect(path.slice(0, 4)).toEqual(['Plan the canary', 'Decide', 'Check the candidate before traffic', 'Decide']);
    expect(account.faults.count('invoker.invoke')).toBe(1);
  });

  it('says a smoke event timed out when the candidate runs into its timeout', async () => {
    const account = createSimAccount(parseScenario({ name: 'slow', minutes: 30, traffic: { requestsPerMinute: 600 }, stable: { errorRate: 0.001 }, candidate: { timeoutRate: 1 }, account: { description: ORIGINAL } }, 'slow.json'), { seed: 1 });
    const result = await runLocal({ scenario: account.scenario, seed: 1, account, request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', preTraffic: { smokeEvents: [{}] } } });

    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toMatch(/smoke event 1 of 1: version 13 timed out \(Task timed out after 30.00 seconds\)/);
    expect(result.alias).toEqual({ version: '12', routing: {} });
  });

  it('sends every smoke event to the candidate version, then asks the hook with the plan, then shifts and promotes', async () => {
    const hookCalls: unknown[] = [];
    const invoked: unknown[] = [];
    const { result, path } = await run({
      preTraffic: { smokeEvents: [{ n: 1 }, { n: 2 }, { n: 3 }], hookFunction: HOOK },
      arrange: (account) => {
        account.addFunction('checkout-before-traffic', (payload) => {
          hookCalls.push(payload);
          return { payload: { status: 'Succeeded' } };
        });
        account.faults.before('invoker.invoke', ([request]) => void invoked.push(request));
      },
    });

    expect(result.outcome).toBe('promoted');
    expect(invoked.slice(0, 3)).toEqual([1, 2, 3].map((n) => ({ functionName: 'checkout', qualifier: '13', payload: { n } })));
    expect(hookCalls).toHaveLength(1);
    expect(hookCalls[0]).toMatchObject({ lifecycleEvent: 'BeforeAllowTraffic', functionName: 'checkout', alias: 'live', stableVersion: '12', candidateVersion: '13', plan: { strategy: { steps: [20, 50] } } });
    expect(path.indexOf('Check the candidate before traffic')).toBeLessThan(path.indexOf('Shift traffic'));
    expect(path.filter((state) => state === 'Check the candidate before traffic')).toHaveLength(1);
  });

  it.each([
    ['answers Failed', () => ({ payload: { status: 'Failed', reason: 'payments sandbox rejected the test order' } }), /hook .* answered Failed: payments sandbox rejected the test order/],
    ['answers something else', () => ({ payload: { ok: true } }), /hook .* answered \{"ok":true\}, not \{ "status": "Succeeded" \}/],
    ['fails', () => ({ functionError: 'Unhandled', payload: { errorType: 'TypeError', errorMessage: 'x is undefined' } }), /hook .* failed with TypeError: x is undefined/],
  ])('rolls back with the alias on stable when the hook %s', async (_, answer, reason) => {
    const { account, result } = await run({ preTraffic: { hookFunction: HOOK }, arrange: (sim) => sim.addFunction('checkout-before-traffic', answer) });

    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toMatch(reason);
    expect(result.alias).toEqual({ version: '12', routing: {} });
    expect(account.firstShiftAt()).toBeUndefined();
  });

  it('fails safe, alias untouched, when the hook does not exist', async () => {
    const { account, result } = await run({ preTraffic: { hookFunction: 'no-such-hook' } });

    expect(result.outcome).toBe('failed');
    expect(result.errorName).toBe('FunctionNotFoundError');
    expect(result.alias).toEqual({ version: '12', routing: {} });
    expect(account.aliasNow().description).toBe(ORIGINAL);
  });

  it('skips the check when the request asks for none', async () => {
    const { result, path } = await run({ preTraffic: { smokeEvents: [] } });

    expect(result.outcome).toBe('promoted');
    expect(path).not.toContain('Check the candidate before traffic');
  });
});
