import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

describe('cost per request through the real state machine', () => {
  it('rolls back a candidate whose median doubled (same tail, same errors), reading both versions’ memory size and stable’s median', async () => {
    const scenario = loadScenario('cost-2x');
    const account = createSimAccount(scenario, { seed: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.alias).toEqual({ version: '12', routing: {} });
    const cost = result.steps.at(-1)!.checks.find((check) => check.name === 'cost')!;
    expect(cost.phase).toBe('fail');
    expect(cost.summary).toMatch(/^\+\d+% cost per request: \d\.\d\d → \d\.\d\d \$ per million; median over 1\.25× stable's/);
    // Stable’s mean is about 102 ms (median 80, p99 400) at the scenario's 512 MB: $1.05 a million (it would be $0.41 at 128 MB).
    expect(Number(cost.figures!['stableCost'])).toBeCloseTo(1.05, 1);
  });

  it('promotes a candidate that is faster throughout, and says it is cheaper', async () => {
    const scenario = loadScenario('cheaper');
    const account = createSimAccount(scenario, { seed: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('promoted');
    const cost = result.steps.at(-1)!.checks.find((check) => check.name === 'cost')!;
    expect(cost.phase).toBe('pass');
    expect(cost.summary).toMatch(/^-\d+% cost per request/);
  });
});
