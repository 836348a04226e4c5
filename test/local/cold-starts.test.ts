import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

const accessDenied = () => Object.assign(new Error('User is not authorized to perform: logs:StartQuery (injected)'), { name: 'CloudWatchLogs.AccessDeniedException' });

describe('cold starts through the real state machine and its Logs Insights query', () => {
  it('rolls back a candidate that cold-starts four times as often, counted from the REPORT lines', async () => {
    const scenario = loadScenario('cold-start-4x');
    const account = createSimAccount(scenario, { seed: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.alias).toEqual({ version: '12', routing: {} });
    const coldStarts = result.steps.at(-1)!.checks.find((check) => check.name === 'coldStarts')!;
    expect(coldStarts.phase).toBe('fail');
    expect(coldStarts.summary).toMatch(/^candidate cold-starts .* as often as stable, over the 1\.4× tolerated, 99% sure: roll back \(candidate .* init \d+ → \d+ ms\)$/);
  });

  it('promotes a healthy candidate with its cold starts judged at every look after the first', async () => {
    const scenario = loadScenario('healthy');
    const account = createSimAccount(scenario, { seed: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('promoted');
    const judged = result.steps.map((step) => step.checks.find((check) => check.name === 'coldStarts'));
    expect(judged.every((check) => check?.phase === 'pass')).toBe(true);
    expect(judged.at(-1)!.summary).toMatch(/^cold starts not shown over 1\.4× stable's: ratio between/);
  });

  it('holds while the query is refused, names it, and never reads the silence as health', async () => {
    const scenario = loadScenario('healthy');
    const account = createSimAccount(scenario, { seed: 1 });
    account.faults.inject({ call: 'logs.startQuery', error: accessDenied, times: 1000 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).not.toBe('promoted');
    expect(result.alias.routing).toEqual({});
    const data = result.steps.at(-1)!.checks.find((check) => check.name === 'data')!;
    expect(data.phase).toBe('inconclusive');
    expect(data.summary).toContain('the query for coldStarts failed (CloudWatchLogs.AccessDeniedException: User is not authorized to perform: logs:StartQuery (injected))');
  });

  it('judges the looks after a query that failed once, and promotes', async () => {
    const scenario = loadScenario('healthy');
    const account = createSimAccount(scenario, { seed: 1 });
    account.faults.inject({ call: 'logs.getQueryResults', error: accessDenied, times: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('promoted');
    expect(result.steps.some((step) => step.checks.some((check) => check.name === 'data' && check.phase === 'inconclusive'))).toBe(true);
  });
});

describe('concurrency at 100% through the real state machine', () => {
  it('holds a candidate that would not fit the reserved concurrency before promoting it, and ends inconclusive', async () => {
    const scenario = loadScenario('concurrency-over-reserved');
    const account = createSimAccount(scenario, { seed: 1 });

    const result = await runLocal({ scenario, seed: 1, account });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('inconclusive');
    expect(result.alias).toEqual({ version: '12', routing: {} });
    const concurrency = result.steps.at(-1)!.checks.find((check) => check.name === 'concurrency')!;
    expect(concurrency.phase).toBe('inconclusive');
    expect(concurrency.summary).toMatch(/^holding before promotion: at 100% the candidate would need about 1[1-4](\.\d)? concurrent executions \(.* requests a minute at its busiest × 1\d\d ms\), over the function's reserved concurrency of 11$/);
  });
});
