import { describe, expect, it } from 'vitest';
import { queueBenchRun } from '../../src/bench/queue-run.ts';
import { analysisSchema } from '../../src/core/judge/index.ts';
import { summariseQueueBaseline } from '../../src/core/judge/queue-baseline.ts';
import { loadScenario, warmupMinutesFor } from '../../src/sim/scenario.ts';

describe('the simulated queue before its baseline', () => {
  it('warms up for a failing message\'s whole life: every receive, each a visibility timeout long', () => {
    // 5 receives × 300 s = 25 minutes, before the 15-minute baseline and its 5 minutes of settling.
    expect(warmupMinutesFor(loadScenario('sqs-healthy-slow-dead-letters'))).toBe(45);
    expect(warmupMinutesFor(loadScenario('sqs-healthy'))).toBe(30);
    expect(warmupMinutesFor(loadScenario('healthy'))).toBe(30);
  });

  it('shows in its baseline the dead letters a queue has been sending all along', () => {
    const run = queueBenchRun(loadScenario('sqs-healthy-slow-dead-letters'), 1, analysisSchema.parse({}));

    expect(summariseQueueBaseline(run.baseline.queue ?? [])!.dlqGrowth).toBeGreaterThan(0);
  });
});
