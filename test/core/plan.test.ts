import { describe, expect, it } from 'vitest';
import { InsufficientTrafficError, PlanLimitError } from '../../src/core/errors.ts';
import { assess } from '../../src/core/judge/index.ts';
import type { CanaryState, PlannedForecast } from '../../src/core/state.ts';
import { createSteps } from '../../src/core/steps/index.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { loadScenario, type Scenario } from '../../src/sim/scenario.ts';
import { releaseEvent } from '../helpers/factories.ts';

/** sqs-healthy with its queue changed. */
function sqsHealthy(queue: Partial<NonNullable<Scenario['queue']>>): Scenario {
  const scenario = loadScenario('sqs-healthy');
  return { ...scenario, queue: { ...scenario.queue!, ...queue } };
}

const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:coalmine-canary:plan-test', name: 'plan-test' };

function planWith(scenario: string | Scenario, request: Record<string, unknown> = {}) {
  const account = createSimAccount(typeof scenario === 'string' ? loadScenario(scenario) : scenario, { seed: 3 });
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

  it('states an SQS canary’s queue promotion bar before the first shift: in the forecast, its guarantee and its status line', async () => {
    const state = (await planWith('sqs-healthy').run()) as CanaryState;
    const forecast = state.plan.forecast as PlannedForecast;
    const bar = forecast.queuePromotionBar!;

    expect(bar.failureRate).toBeGreaterThanOrEqual(bar.defaultFailureRate!);
    expect(bar.defaultFailureRate).toBeGreaterThan(bar.stableFailureRate!);
    expect(forecast.guarantee).toContain(`and that it fails fewer than ${(bar.failureRate! * 100).toFixed(2)}% of the messages it receives (the queue's retry rate; stable: ${(bar.stableFailureRate! * 100).toFixed(2)}%)`);
    expect(state.status).toContain(`and its share of failed messages below ${(bar.failureRate! * 100).toFixed(2)}%`);
  });

  it('states no queue bar where the queue has no ReportBatchItemFailures, and says why', async () => {
    const state = (await planWith(sqsHealthy({ reportBatchItemFailures: false })).run()) as CanaryState;
    const forecast = state.plan.forecast as PlannedForecast;

    expect(forecast.queuePromotionBar).toMatchObject({ failureRate: null, choice: 'not-judged' });
    expect(forecast.guarantee).toContain('without ReportBatchItemFailures a failed message fails its whole invocation');
    expect(state.status).not.toContain('failed messages');
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

  it('sizes an SQS canary’s steps by two retry cycles of its queue, and gives the schedule half as long again for a budget', async () => {
    const state = (await planWith(sqsHealthy({ visibilityTimeoutSeconds: 600, batchingWindowSeconds: 30 })).run()) as CanaryState;

    expect(state.plan.strategy).toMatchObject({ steps: [5, 10, 25, 50], intervalMinutes: 21 });
    expect(state.plan.analysis.maxDurationMinutes).toBe(126);
    expect(state.plan.warnings.filter((w) => /Coalmine looks|held at most|drops its|retry cycle/.test(w))).toEqual([]);
  });

  it('fits the default schedule of a queue with a 12-hour visibility timeout to the execution, and says what it changed', async () => {
    const { account, run } = planWith(sqsHealthy({ visibilityTimeoutSeconds: 43_200 }));
    const state = (await run()) as CanaryState;

    expect(state.plan.strategy).toMatchObject({ steps: [5, 50], intervalMinutes: 720 });
    expect(state.plan.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^strategy: Coalmine's default drops its 10% and 25% steps/), expect.stringMatching(/^strategy: each step lasts one retry cycle of the queue \(720 min\)/)]));
    expect(account.aliasNow().description).toMatch(/coalmine-canary/);
  });

  it('refuses the same schedule when the request names it, before it touches the alias', async () => {
    const { account, run } = planWith(sqsHealthy({ visibilityTimeoutSeconds: 43_200 }), { strategy: { steps: [5, 10, 25, 50], intervalMinutes: 1440 } });
    const before = account.aliasNow();

    await expect(run()).rejects.toBeInstanceOf(PlanLimitError);
    expect(account.aliasNow()).toEqual(before);
  });

  it('warns when a quiet queue gives the candidate too few batches in a step to show anything', async () => {
    const state = (await planWith(sqsHealthy({ messagesPerMinute: 2 })).run()) as CanaryState;

    expect(state.plan.warnings).toContainEqual(expect.stringMatching(/^the 5%, 10% and 25% steps give the candidate about .* batches of queue checkout-events/));
  });
});

describe('Plan, for a canary an event started', () => {
  it('keeps its own budget where an event asks for a shorter one: a queue with an hour-long visibility timeout', async () => {
    const scenario = loadScenario('sqs-healthy-long-visibility');
    const account = createSimAccount({ ...scenario, account: { ...(scenario.account ?? {}), tags: { 'coalmine:alias': 'live' } } }, { seed: 3 });
    const steps = createSteps(account.ports, { judge: assess });
    const plan = (analysis: Record<string, unknown>) => steps.plan({ request: releaseEvent({ functionName: 'checkout', alias: 'live', candidateVersion: '13', analysis }), execution }) as Promise<CanaryState>;

    const own = (await plan({})).plan;
    const asked = (await plan({ maxDurationMinutes: 160 })).plan;

    expect(own.analysis.maxDurationMinutes).toBeGreaterThan(160);
    expect(asked.analysis.maxDurationMinutes).toBe(own.analysis.maxDurationMinutes);
    expect(asked.warnings).toContain(`analysis.maxDurationMinutes: the event's 160 minutes are shorter than the plan's own budget, ${own.analysis.maxDurationMinutes}; an event may not shorten it`);
  });
});
