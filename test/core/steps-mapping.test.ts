import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Ports, VersionMetricsQuery } from '../../src/core/ports.ts';
import { createSteps } from '../../src/core/steps/index.ts';
import { assess } from '../../src/core/judge/index.ts';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const SQS_HEALTHY = parseScenario(JSON.parse(readFileSync(new URL('../../scenarios/sqs-healthy.json', import.meta.url), 'utf8')), 'sqs-healthy.json');

/** Runs the SQS canary on the simulated account, with the mapping's MetricsConfig as given; returns Evaluate's metrics queries. */
async function evaluateQueries(metricsEnabled: boolean): Promise<{ queries: VersionMetricsQuery[]; planQueue: unknown }> {
  const account = createSimAccount(SQS_HEALTHY, { seed: 1 });
  const queries: VersionMetricsQuery[] = [];
  let planQueue: unknown;
  const ports = (real: Ports): Ports => ({
    ...real,
    queues: { ...real.queues, listQueueSources: async (name) => (await real.queues.listQueueSources(name)).map((source) => ({ ...source, metricsEnabled })) },
    metrics: {
      ...real.metrics,
      versionMinutes: (query) => {
        queries.push(query);
        return real.metrics.versionMinutes(query);
      },
    },
  });
  await runLocal({
    scenario: SQS_HEALTHY,
    seed: 1,
    account,
    steps: (real) => {
      const steps = createSteps(ports(real), { judge: assess });
      return {
        ...steps,
        plan: async (input) => {
          const state = await steps.plan(input);
          planQueue = (state as { plan?: { queue?: unknown } }).plan?.queue;
          return state;
        },
      };
    },
  });
  return { queries, planQueue };
}

describe('Evaluate on an SQS canary', () => {
  it('asks for the mapping’s own event counts when its MetricsConfig has EventCount', async () => {
    const { queries, planQueue } = await evaluateQueries(true);

    expect(planQueue).toMatchObject({ metricsEnabled: true });
    expect(queries.length).toBeGreaterThan(0);
    const [source] = await createSimAccount(SQS_HEALTHY, { seed: 1 }).ports.queues.listQueueSources('checkout');
    for (const query of queries) expect(query.queue).toEqual(expect.objectContaining({ mappingId: source!.mappingId }));
  });

  it('asks for no mapping counts when the mapping publishes none', async () => {
    const { queries, planQueue } = await evaluateQueries(false);

    expect(planQueue).not.toHaveProperty('metricsEnabled');
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) expect(query.queue).not.toHaveProperty('mappingId');
  });
});
