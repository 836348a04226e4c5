import { describe, expect, it } from 'vitest';
import { InsufficientTrafficError } from '../../src/core/errors.ts';
import { assess } from '../../src/core/judge/index.ts';
import type { CanaryState, PlannedForecast } from '../../src/core/state.ts';
import { createSteps } from '../../src/core/steps/index.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:coalmine-canary:plan-test', name: 'plan-test' };

function planWith(scenario: string, request: Record<string, unknown> = {}) {
  const account = createSimAccount(loadScenario(scenario), { seed: 3 });
  const steps = createSteps(account.ports, { judge: assess });
  const historyQueries: Array<{ start: string; end: string; queue?: { queueName: string } }> = [];
  const history = account.ports.metrics.history!.bind(account.ports.metrics);
  account.ports.metrics.history = (query) => {
    historyQueries.push(query);
    return history(query);
  };
  const run = () => steps.plan({ request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', ...request }, execution });
  return { account, run, historyQueries };
}

describe('Plan', () => {
  it('states, before any traffic moves, what the canary can prove: the forecast, in the plan and its status line', async () => {
    const { account, run, historyQueries } = planWith('healthy-low-traffic');
    const state = (await run()) as CanaryState;
    const { promotion, strategy } = state.plan;
    const forecast = state.plan.forecast as PlannedForecast | undefined;

    expect(forecast?.summary).toMatch(/^At ~20 requests a minute and 0\.\d\d% errors, this canary promotes in about \d+ minutes if the candidate's error rate is shown below \d\.\d\d%/);
    expect(state.status).toContain(forecast!.summary);
    expect(promotion?.bar).toBe(forecast?.promotionBar.errorRate);
    expect(strategy.steps).toEqual([50, 95]);
    expect(account.aliasNow().weights).toEqual({});
    // A day of the alias' hourly history, ending where the baseline begins.
    expect(historyQueries).toHaveLength(1);
    expect(Date.parse(historyQueries[0]!.end) - Date.parse(historyQueries[0]!.start)).toBe(24 * 3600_000);
  });

  it('refuses with the numbers, before it touches the alias, when the request would rather refuse than loosen the bar', async () => {
    const { account, run } = planWith('healthy-low-traffic', { analysis: { lowTraffic: 'refuse' } });
    const before = account.aliasNow();

    const refusal = run();
    await expect(refusal).rejects.toBeInstanceOf(InsufficientTrafficError);
    await expect(refusal).rejects.toThrow(/^analysis\.lowTraffic: at ~20 requests a minute and .* errors, a candidate as good as stable cannot show the .* bar within the 90-minute budget/);
    expect(account.aliasNow()).toEqual(before);
  });

  it('plans with the default bar, without refusing, where the traffic can show it', async () => {
    const state = (await planWith('healthy', { analysis: { lowTraffic: 'refuse' } }).run()) as CanaryState;
    expect((state.plan.forecast as PlannedForecast).promotionBar.choice).not.toBe('loosened');
  });

  it('writes the budget it chose into the plan, so every later look holds to it', async () => {
    const chosen = (await planWith('healthy-low-traffic').run()) as CanaryState;
    expect(chosen.plan.analysis.maxDurationMinutes).toBe((chosen.plan.forecast as PlannedForecast).maxDurationMinutes);
    const named = (await planWith('healthy-low-traffic', { analysis: { maxDurationMinutes: 45 } }).run()) as CanaryState;
    expect(named.plan.analysis.maxDurationMinutes).toBe(45);
    expect((named.plan.forecast as PlannedForecast).maxDurationMinutes).toBe(45);
  });

  it('honours a strategy the request names', async () => {
    const state = (await planWith('healthy-low-traffic', { strategy: 'Canary10Percent10Minutes' }).run()) as CanaryState;
    expect(state.plan.strategy.name).toBe('Canary10Percent10Minutes');
    expect((state.plan.forecast as PlannedForecast).summary).toMatch(/^At ~20 requests a minute/);
  });

  it('reads the queue’s day before the baseline for an SQS canary, in the same query, and keeps its sums in the plan', async () => {
    const { run, historyQueries } = planWith('sqs-healthy');
    const state = (await run()) as CanaryState;

    expect(historyQueries).toHaveLength(1);
    expect(historyQueries[0]!.queue).toEqual({ queueName: state.plan.queue!.queueName });
    const history = state.plan.baseline.queueHistory!;
    expect(history.hours).toBeGreaterThan(0);
    expect(history.failures / history.received).toBeGreaterThan(0);
    expect(history.failures / history.received).toBeLessThan(0.02);
  });

  it('says when the queue’s day could not be read, and plans on the baseline alone', async () => {
    const { account, run } = planWith('sqs-healthy');
    const history = account.ports.metrics.history!;
    account.ports.metrics.history = async (query) => {
      const { queueHours: _dropped, ...read } = await history(query);
      return { ...read, failures: [{ metric: 'checkout-events NumberOfMessagesReceived by hour', message: 'status Forbidden' }] };
    };
    const state = (await run()) as CanaryState;

    expect(state.plan.baseline.queueHistory).toBeUndefined();
    expect(state.plan.warnings).toContain("the queue's hourly history could not be read (checkout-events NumberOfMessagesReceived by hour: status Forbidden); its retry rate rests on the baseline alone");
  });
});
