import { describe, expect, it } from 'vitest';
import { queueBenchRun } from '../../src/bench/queue-run.ts';
import { queueBaselineIsThin, summariseQueueBaseline, summariseQueueHistory } from '../../src/core/judge/queue-baseline.ts';
import { prepareRun, scenarioSetup } from '../../src/bench/run.ts';
import { createSimAccount, SIM_START } from '../../src/sim/account/index.ts';
import { measureBaseline, planBaselineWindow } from '../../src/sim/baseline.ts';
import { loadScenario, type Scenario } from '../../src/sim/scenario.ts';

/** The baseline Plan reads from the simulated account: its window ends `settleSeconds` before the start, floored to the minute. */
async function planBaseline(scenario: Scenario, seed: number) {
  const { settings } = scenarioSetup(scenario);
  const account = createSimAccount(scenario, { seed });
  const end = Math.floor((Date.parse(SIM_START) - settings.settleSeconds * 1000) / 60_000) * 60_000;
  const queue = scenario.trigger === 'sqs' ? { queueName: 'checkout-events' } : undefined;
  return account.ports.metrics.baseline({
    functionName: account.settings.functionName,
    alias: account.settings.alias,
    version: account.settings.stableVersion,
    start: new Date(end - settings.baselineMinutes * 60_000).toISOString(),
    end: new Date(end).toISOString(),
    percentile: settings.latencyPercentile,
    ...(queue ? { queue } : {}),
  });
}

/** The queue's hours Plan reads from the simulated account: the day that ends where the baseline starts. */
async function planQueueHistory(scenario: Scenario, seed: number) {
  const { settings } = scenarioSetup(scenario);
  const account = createSimAccount(scenario, { seed });
  const end = Math.floor((Date.parse(SIM_START) - settings.settleSeconds * 1000) / 60_000) * 60_000 - settings.baselineMinutes * 60_000;
  const history = await account.ports.metrics.history!({
    functionName: account.settings.functionName,
    alias: account.settings.alias,
    start: new Date(end - 24 * 3600_000).toISOString(),
    end: new Date(end).toISOString(),
    queue: { queueName: 'checkout-events' },
  });
  return history.queueHours;
}

describe('the baseline before the first shift', () => {
  it.each(['healthy', 'healthy-diurnal', 'healthy-low-traffic', 'error-3x'])('is the same for Plan on the simulated account and for the benchmark: %s', async (name) => {
    const scenario = loadScenario(name);
    for (const seed of [1, 2, 3]) {
      expect(prepareRun(scenario, seed).baseline).toEqual(await planBaseline(scenario, seed));
    }
  });

  it.each(['sqs-healthy', 'sqs-poison'])('is the same for Plan on the simulated account and for the queue benchmark, with the queue’s day before it: %s', async (name) => {
    const scenario = loadScenario(name);
    const { settings } = scenarioSetup(scenario);
    for (const seed of [1, 2]) {
      const plan = await planBaseline(scenario, seed);
      const queueHistory = summariseQueueHistory((await planQueueHistory(scenario, seed)) ?? []);
      // The benchmark simulates the day only where the judge draws on it: a thin baseline.
      expect(queueBaselineIsThin(summariseQueueBaseline(plan.queue!)!)).toBe(true);
      expect(queueHistory?.hours).toBeGreaterThan(0);
      expect(queueBenchRun(scenario, seed, settings).baseline).toEqual({ ...plan, queueHistory });
    }
  });

  it('counts only the minutes in which the stable version has a datapoint, and keeps the queue minutes only when asked', () => {
    const busy = { invocations: 100, errors: 2, throttles: 0 };
    const idle = { invocations: 0, errors: 0, throttles: 0 };
    const queue = { sent: 1, received: 1, deleted: 1, visible: 0, notVisible: 0, ageOfOldestSeconds: 0, dlqVisible: 0 };
    const minutes = [{ stable: busy, queue }, { stable: idle, queue }, { stable: null, queue }, { stable: busy, queue }];

    // The median minute counts the minutes without a datapoint as 0: 0, 0, 100, 100 → 50.
    expect(measureBaseline(minutes, { latencyMs: (invocations) => invocations, queue: false })).toEqual({ minutes: 2, invocations: 200, errors: 4, medianInvocationsPerMinute: 50, latencyThresholdMs: 200 });
    expect(measureBaseline(minutes, { latencyMs: () => 1, queue: true }).queue).toHaveLength(4);
    expect(measureBaseline([{ stable: idle }], { latencyMs: () => 1, queue: false })).toEqual({ minutes: 0, invocations: 0, errors: 0 });
  });

  it("falls on the account's timeline: the baseline minutes end settleSeconds before the start", () => {
    expect(planBaselineWindow(30, { baselineMinutes: 15, settleSeconds: 60 })).toEqual({ from: 14, to: 29 });
    expect(planBaselineWindow(30, { baselineMinutes: 15, settleSeconds: 90 })).toEqual({ from: 13, to: 28 });
    expect(planBaselineWindow(20, { baselineMinutes: 15, settleSeconds: 600 })).toEqual({ from: 0, to: 10 });
  });
});
