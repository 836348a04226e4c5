import { describe, expect, it } from 'vitest';
import { checkQueueSetup } from '../../src/core/sqs.ts';
import { createSimAccount, SIM_START } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

function scenario(overrides: Record<string, unknown> = {}) {
  return parseScenario(
    {
      name: 'sqs-account-test',
      trigger: 'sqs',
      minutes: 60,
      queue: { messagesPerMinute: 300, batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 3, dlqDepthAtStart: 2 },
      stable: { errorRate: 0.002, latencyMs: { median: 40, p99: 200 } },
      candidate: { poisonRate: 0.5 },
      ...overrides,
    },
    'sqs-account-test.json',
  );
}

const at = (minutes: number) => new Date(Date.parse(SIM_START) + minutes * 60_000);

describe('the simulated account with an SQS scenario', () => {
  it('serves the mapping on the alias, its queue and DLQ, as Plan expects them', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });
    const fn = await account.ports.functions.getFunction('checkout');

    const sources = await account.ports.queues.listQueueSources('checkout');
    const setup = checkQueueSetup(sources, fn, 'live', { allowFifo: false });

    expect(sources).toHaveLength(1);
    expect(setup?.plan).toMatchObject({ batchSize: 10, visibilityTimeoutSeconds: 30, reportBatchItemFailures: true, dlq: { maxReceiveCount: 3 } });
    expect(await account.ports.queues.depth(setup!.plan.dlq!.url)).toBe(2);
    expect(await account.ports.queues.listQueueSources('someone-else')).toEqual([]);
  });

  it('lets a scenario point the mapping at the function or a version, or make the queue FIFO, to exercise Plan', async () => {
    const fn = await createSimAccount(scenario(), { seed: 1 }).ports.functions.getFunction('checkout');
    for (const mappingOn of ['function', 'version']) {
      const account = createSimAccount(scenario({ queue: { messagesPerMinute: 10, mappingOn } }), { seed: 1 });
      const sources = await account.ports.queues.listQueueSources('checkout');
      expect(() => checkQueueSetup(sources, fn, 'live', { allowFifo: false })).toThrow(/bypass the canary/);
    }
    const fifo = createSimAccount(scenario({ queue: { messagesPerMinute: 10, fifo: true } }), { seed: 1 });
    const fifoSources = await fifo.ports.queues.listQueueSources('checkout');
    expect(() => checkQueueSetup(fifoSources, fn, 'live', { allowFifo: false })).toThrow(/FIFO/);
    expect(checkQueueSetup(fifoSources, fn, 'live', { allowFifo: true })?.plan.queueName).toBe('checkout-events.fifo');
  });

  it('reports queue minutes and per-version batches through the metrics port, with the baseline before the shift', async () => {
    const account = createSimAccount(scenario(), { seed: 2 });
    const queue = { queueName: 'checkout-events', dlqName: 'checkout-events-dlq' };
    const baseline = await account.ports.metrics.baseline({ functionName: 'checkout', alias: 'live', version: '12', start: at(-15).toISOString(), end: at(0).toISOString(), percentile: 99, queue });
    const alias = await account.ports.router.getAlias('checkout', 'live');
    await account.ports.router.updateAlias('checkout', 'live', { weights: { '13': 20 } }, alias.revisionId);
    account.advanceTo(at(10));

    const window = await account.ports.metrics.versionMinutes({ functionName: 'checkout', alias: 'live', stableVersion: '12', candidateVersion: '13', start: at(0).toISOString(), end: at(10).toISOString(), slowThresholdMs: baseline.latencyThresholdMs!, queue });

    expect(baseline.queue).toHaveLength(15);
    expect(baseline.latencyThresholdMs).toBeGreaterThan(0);
    expect(window.minutes).toHaveLength(10);
    const received = window.minutes.reduce((sum, m) => sum + m.queue!.received, 0);
    const deleted = window.minutes.reduce((sum, m) => sum + m.queue!.deleted, 0);
    const baselineReceived = baseline.queue!.reduce((sum, m) => sum + m.received, 0);
    const baselineDeleted = baseline.queue!.reduce((sum, m) => sum + m.deleted, 0);
    // The poison candidate raises the queue-wide retry rate; its partial batch failures are no errors.
    expect(1 - deleted / received).toBeGreaterThan(3 * (1 - baselineDeleted / baselineReceived));
    expect(window.minutes.every((m) => (m.candidate?.errors ?? 0) === 0)).toBe(true);
    expect(window.minutes.some((m) => (m.candidate?.invocations ?? 0) > 0)).toBe(true);
    expect(window.minutes.every((m) => m.stable!.slow! <= m.stable!.invocations)).toBe(true);
  });

  it('redrives only what reached the DLQ during the canary, once the candidate\'s last failures have surfaced, and loses nothing', async () => {
    const account = createSimAccount(scenario({ candidate: { poisonRate: 1 } }), { seed: 3 });
    const [source] = await account.ports.queues.listQueueSources('checkout');
    const dlq = { url: source!.dlq!.url, arn: source!.dlq!.arn };
    const depthAtStart = await account.ports.queues.depth(dlq.url);
    const startedAt = account.clock.now().toISOString();
    let alias = await account.ports.router.getAlias('checkout', 'live');
    alias = await account.ports.router.updateAlias('checkout', 'live', { weights: { '13': 50 } }, alias.revisionId);
    account.advanceTo(at(20));
    expect(await account.ports.queues.depth(dlq.url)).toBeGreaterThan(depthAtStart);
    await account.ports.router.updateAlias('checkout', 'live', { weights: {} }, alias.revisionId);
    // Messages the candidate failed just before the rollback reach the DLQ up to a visibility timeout later.
    account.advanceTo(new Date(at(20).getTime() + (30 + 30) * 1000));

    const report = await account.ports.queues.redrive(dlq, { url: source!.queueUrl, arn: source!.queueArn }, startedAt);
    const moved = report.moved;
    account.runToHorizon();

    expect(moved).toBeGreaterThan(0);
    expect(report).toMatchObject({ complete: true, notMoved: 0, inBothQueues: 0 });
    expect(report.examined).toBeGreaterThanOrEqual(moved);
    expect(await account.ports.queues.depth(dlq.url)).toBe(depthAtStart);
    expect(account.queueSummary()).toMatchObject({ redriven: moved, lost: 0, deadLettered: 0 });
    expect(account.excessFailures()).toBeGreaterThan(0);
  });
});
