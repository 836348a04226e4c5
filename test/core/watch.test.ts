import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/core/strategy.ts';
import { watchSplit, type WatchEvent } from '../../src/core/watch.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { scheduleOtherTool, simWatchPorts } from '../../src/sim/other-tool.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const HEALTHY = { name: 'healthy', traffic: { requestsPerMinute: 600 }, stable: { errorRate: 0.005 } };
const FIVE_TIMES = { ...HEALTHY, name: 'error-5x', candidate: { errorRate: 0.025 } };
const OPTIONS = { functionName: 'checkout', alias: 'live', waitForSplitMinutes: 30, maxMinutes: 120, otherName: 'the other tool' };

/** A simulated account on which another tool runs `strategy` from two minutes after the start. */
function accountWith(scenario: object, strategy = 'Linear10PercentEvery3Minutes', seed = 1) {
  const account = createSimAccount(parseScenario(scenario, 'test'), { seed });
  const { promotesAt } = scheduleOtherTool(account, parseStrategy(strategy), new Date(account.clock.now().getTime() + 2 * 60_000));
  return { account, promotesAt };
}

describe('watching a split that another tool controls, on the simulated account', () => {
  it('reports a healthy candidate as "would promote", and the other tool promoting it when it does', async () => {
    const { account, promotesAt } = accountWith(HEALTHY);

    const result = await watchSplit(simWatchPorts(account), OPTIONS);

    expect(result.coalmine).toMatchObject({ decision: 'promote', verdict: 'would promote' });
    expect(result.looks.some((look) => look.verdict.startsWith('would roll back'))).toBe(false);
    expect(result.other).toMatchObject({ action: 'promoted', at: promotesAt.toISOString(), alias: { version: '13', routing: {} } });
    expect(result.coalmine.minute!).toBeLessThan(result.other.minute!);
    expect(result.summary).toMatch(/^Coalmine would have promoted at \+\d+m \(\d\d:\d\d UTC\); the other tool promoted version 13 at \+27m \(09:29 UTC\)\.$/);
  });

  it('reports a candidate failing 5× as often as "would roll back (regression)" before the other tool finishes', async () => {
    const { account } = accountWith(FIVE_TIMES);

    const result = await watchSplit(simWatchPorts(account), OPTIONS);

    expect(result.coalmine).toMatchObject({ decision: 'rollback', rollbackKind: 'regression', verdict: 'would roll back (regression)' });
    expect(result.coalmine.reason).toMatch(/as often as stable/);
    expect(result.other.action).toBe('promoted');
    expect(result.coalmine.minute!).toBeLessThan(result.other.minute!);
    expect(result.summary).toMatch(/^Coalmine would have rolled back \(regression\) at \+\d+m .*; the other tool promoted version 13 at \+27m/);
  });

  it('never writes to the alias: it only reads it, while the other tool moves it', async () => {
    const { account } = accountWith(FIVE_TIMES);
    const before = account.aliasNow().description;

    await watchSplit(simWatchPorts(account), OPTIONS);

    expect(account.faults.count('router.updateAlias')).toBe(0);
    expect(account.faults.count('router.getAlias')).toBeGreaterThan(20);
    expect(account.aliasNow()).toMatchObject({ version: '13', weights: {}, description: before });
  });

  it('plans from the stable version before the split, and says so when the split was there before the watch', async () => {
    const { account } = accountWith(HEALTHY);
    const waited: WatchEvent[] = [];
    const found = await watchSplit(simWatchPorts(account), OPTIONS, (event) => waited.push(event));
    expect(found.splitBeforeWatch).toBe(false);
    expect(found.baseline).toMatchObject({ end: '2026-01-05T09:01:00.000Z', minutes: 15 });
    expect(waited.map((event) => event.type).slice(0, 3)).toEqual(['waiting', 'split', 'planned']);

    const late = accountWith(HEALTHY);
    late.account.advanceTo('2026-01-05T09:10:00Z');
    const events: WatchEvent[] = [];
    const already = await watchSplit(simWatchPorts(late.account), OPTIONS, (event) => events.push(event));
    expect(already.splitBeforeWatch).toBe(true);
    expect(already.baseline!.end).toBe('2026-01-05T09:09:00.000Z');
    expect(events.find((event) => event.type === 'planned')).toMatchObject({ line: expect.stringContaining('before the watch started (the split was already there') });
  });

  it('reports a rollback by the other tool, and a split still there after --max-minutes', async () => {
    const { account } = accountWith(HEALTHY);
    account.at('2026-01-05T09:08:00Z', () => account.changeAliasByHand({ weights: {} }));
    const rolledBack = await watchSplit(simWatchPorts(account), OPTIONS);
    expect(rolledBack.other).toMatchObject({ action: 'rolled-back', minute: 6, alias: { version: '12' } });
    expect(rolledBack.summary).toMatch(/the other tool rolled back to version 12 at \+6m \(09:08 UTC\)\.$/);

    const slow = accountWith(HEALTHY, 'Canary10Percent30Minutes');
    const stopped = await watchSplit(simWatchPorts(slow.account), { ...OPTIONS, maxMinutes: 5 });
    expect(stopped.other.action).toBe('still-split');
    expect(stopped.looks.length).toBeGreaterThan(0);
    expect(stopped.summary).toMatch(/^Coalmine would still have held at \+5m .*; the alias was still split after --max-minutes \(5\): 10% on version 13\.$/);
  });

  it('gives up when no split appears within the wait, with nothing judged', async () => {
    const account = createSimAccount(parseScenario(HEALTHY, 'test'), { seed: 1 });

    const result = await watchSplit(simWatchPorts(account), { ...OPTIONS, waitForSplitMinutes: 3 });

    expect(result.other.action).toBe('no-split');
    expect(result.looks).toEqual([]);
    expect(account.clock.now().toISOString()).toBe('2026-01-05T09:03:00.000Z');
    expect(result.summary).toBe('No split appeared on checkout:live within 3 minutes (the alias is on version 12, no routing): nothing to judge.');
  });
});
