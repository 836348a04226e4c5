import { describe, expect, it } from 'vitest';
import { queueBenchRun } from '../../src/bench/queue-run.ts';
import { decide } from '../../src/core/decide.ts';
import { analysisSchema, assess, type JudgeMemory } from '../../src/core/judge/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

/** Coalmine's judge and decide() on one SQS scenario and seed, as the benchmark's coalmine policy runs them. */
function judgeQueue(name: string, seed: number): { result: string; minute: number; excess: number; lost: number } {
  const scenario = loadScenario(name);
  const settings = analysisSchema.parse({});
  const run = queueBenchRun(scenario, seed, settings);
  const { strategy } = run;
  let step = 0;
  let minutesInStep = 0;
  let memory: JudgeMemory | undefined;
  for (let t = 0; t < scenario.minutes; t++) {
    const weight = strategy.steps[step]!;
    const minute = run.minute(weight, { slowThresholdMs: run.baseline.latencyThresholdMs! });
    minutesInStep++;
    const isFinalStep = step === strategy.steps.length - 1;
    const assessment = assess({
      memory,
      window: { minutes: [{ minute: new Date(Date.UTC(2026, 0, 5, 9, t)).toISOString(), ...minute }], failures: [] },
      baseline: run.baseline,
      context: { trigger: 'sqs', stepIndex: step, stepCount: strategy.steps.length, weight, isFinalStep, minutesInStep, queue: run.setup },
      settings,
    });
    memory = assessment.memory;
    const { decision } = decide({ assessment, minutesInStep, intervalMinutes: strategy.intervalMinutes, isFinalStep, maxExtensionMinutes: settings.maxExtensionMinutes });
    if (decision === 'rollback' || decision === 'promote') return { result: decision, minute: t + 1, excess: run.excessFailures(), lost: run.accounting().lost };
    if (decision === 'advance') {
      step++;
      minutesInStep = 0;
    }
  }
  return { result: 'undecided', minute: scenario.minutes, excess: run.excessFailures(), lost: run.accounting().lost };
}

describe('queueBenchRun', () => {
  it('measures the baseline before the shift, with the queue minutes and the default event strategy', () => {
    const run = queueBenchRun(loadScenario('sqs-healthy'), 1, { baselineMinutes: 15, latencyPercentile: 99, settleSeconds: 60 });

    expect(run.baseline.minutes).toBe(15);
    expect(run.baseline.queue).toHaveLength(15);
    expect(run.baseline.invocations).toBeGreaterThan(0);
    expect(run.baseline.latencyThresholdMs).toBeGreaterThan(0);
    expect(run.setup).toEqual({ batchSize: 10, reportBatchItemFailures: true, visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0, maxReceiveCount: 5 });
    expect(run.strategy.steps[0]).toBe(5);
  });

  it('gives every policy the same arrivals whatever weights it sets', () => {
    const scenario = loadScenario('sqs-poison');
    const a = queueBenchRun(scenario, 4, { baselineMinutes: 15, latencyPercentile: 99, settleSeconds: 60 });
    const b = queueBenchRun(scenario, 4, { baselineMinutes: 15, latencyPercentile: 99, settleSeconds: 60 });

    const sentA = Array.from({ length: 10 }, () => a.minute(10).queue.sent);
    const sentB = Array.from({ length: 10 }, () => b.minute(50).queue.sent);

    expect(sentA).toEqual(sentB);
    expect(b.excessFailures()).toBeGreaterThan(a.excessFailures());
  });

  it('lets the judge roll back a poison-message candidate and promote a healthy one, losing nothing', () => {
    const poison = judgeQueue('sqs-poison', 7);
    const healthy = judgeQueue('sqs-healthy', 7);

    expect(poison.result).toBe('rollback');
    expect(healthy.result).toBe('promote');
    expect(poison.lost).toBe(0);
    expect(healthy.lost).toBe(0);
    expect(poison.excess).toBeGreaterThan(healthy.excess);
  });
});
