import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

describe('cost per request through the real state machine', () => {
  it('rolls back a candidate whose median doubled (same tail, same errors), reading stable’s median', async () => {
    const scenario = loadScenario('cost-2x');
    const account = createSimAccount(scenario, { seed: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.alias).toEqual({ version: '12', routing: {} });
    const cost = result.steps.at(-1)!.checks.find((check) => check.name === 'cost')!;
    expect(cost.phase).toBe('fail');
    expect(cost.summary).toBe("median over 1.25× stable's: roll back");
      });

  it('promotes a candidate that is faster throughout, ', async () => {
    const scenario = loadScenario('cheaper');
    const account = createSimAccount(scenario, { seed: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('promoted');
    const cost = result.steps.at(-1)!.checks.find((check) => check.name === 'cost')!;
    expect(cost.phase).toBe('pass');
    expect(cost.summary).toBe("median not shown over 1.25× stable's");
  });
});
