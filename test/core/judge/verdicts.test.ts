import { describe, expect, it } from 'vitest';
import { type AnalysisRequest, analysisSchema, assess, type Assessment, type JudgeContext, type JudgeMemory } from '../../../src/core/judge/index.ts';
import { noHarmYet, worseRange } from '../../../src/core/judge/wording.ts';
import type { Baseline, MinuteObservation, QueueMinute } from '../../../src/core/ports.ts';
import { judgeContext, JUDGE_BASELINE, minuteAt, queueMinute, versionMinute } from '../../helpers/factories.ts';

const QUEUE_BASELINE: QueueMinute[] = Array.from({ length: 15 }, () => queueMinute());

/** One look per minute, the memory carried through JSON as the state machine carries it. */
function looks(count: number, make: (i: number) => MinuteObservation, options: { context?: Partial<JudgeContext>; settings?: AnalysisRequest; baseline?: Baseline } = {}): Assessment[] {
  let memory: JudgeMemory | undefined;
  const results: Assessment[] = [];
  for (let i = 0; i < count; i++) {
    const result = assess({
      memory,
      window: { minutes: [make(i)], failures: [] },
      baseline: options.baseline ?? JUDGE_BASELINE,
      context: judgeContext({ minutesInStep: i + 1, ...options.context }),
      settings: analysisSchema.parse(options.settings ?? {}),
    });
    memory = JSON.parse(JSON.stringify(result.memory)) as JudgeMemory;
    results.push(result);
  }
  return results;
}

/** No raw evidence and no number of 8 or more digits (thousands separators read as part of the number). */
function readable(line: string): boolean {
  const numbers = line.replace(/(\d),(?=\d{3})/g, '$1').match(/\d+/g) ?? [];
  return !/evidence\s+[\d∞]|e-value/i.test(line) && numbers.every((digits) => digits.length < 8);
}

describe('the verdict model', () => {
  it('lists every check at every look, each with a phase and one plain line', () => {
    const metric = { id: 'checkout_failures', namespace: 'Shop', metricName: 'CheckoutFailures' };
    const [first] = looks(1, (i) => ({ minute: minuteAt(i), candidate: versionMinute(60, 0, { custom: { checkout_failures: 1 } }), stable: versionMinute(540, 3, { custom: { checkout_failures: 5 } }) }), { settings: { customMetrics: [metric] } });
    expect(first!.checks!.map((check) => check.name).sort()).toEqual(['custom:checkout_failures', 'data', 'errors', 'guardrails', 'latency']);
    for (const check of first!.checks!) {
      expect(['pass', 'inconclusive', 'fail']).toContain(check.phase);
      expect(check.summary.length).toBeGreaterThan(10);
      expect(readable(check.summary)).toBe(true);
    }
  });

  it('puts the decisive check first and says it in words and an interval', () => {
    const results = looks(10, (i) => ({ minute: minuteAt(i), candidate: versionMinute(300, 9), stable: versionMinute(300, 1) }), { context: { weight: 50 } });
    const last = results.at(-1)!;
    expect(last.phase).toBe('fail');
    expect(last.checks![0]!.name).toBe('errors');
    expect(last.checks![0]!.summary).toMatch(/^candidate fails ([\d.]+–(∞|[\d.]+)|more than 1)× .*as often as stable, 99% sure: roll back$/);
    expect(last.checks!.slice(1).every((check) => check.phase !== 'fail')).toBe(true);
  });

  it('shows the interval while nothing is decided: "no difference yet"', () => {
    const results = looks(3, (i) => ({ minute: minuteAt(i), candidate: versionMinute(60, 1), stable: versionMinute(540, 3) }));
    const errors = results.at(-1)!.checks!.find((check) => check.name === 'errors')!;
    expect(errors.summary).toMatch(/no difference yet: ratio between [\d.]+× and (∞|[\d.]+)×/);
  });

  it('never reads a rollback as "1×": the lower bound on 1 says "more than 1×"', () => {
    expect(worseRange({ ratioLower: 1, ratioUpper: Infinity })).toBe('more than 1×');
    expect(worseRange({ ratioLower: 1, ratioUpper: 5.66 })).toBe('more than 1× (at most 5.7×)');
    expect(worseRange({ ratioLower: 2 ** 0.5, ratioUpper: Infinity })).toBe('1.4–∞×');
    expect(worseRange({ ratioLower: 0.35, ratioUpper: 0.71 }, 'lowerIsWorse')).toBe('0.35–0.71×');
    expect(noHarmYet({ ratioLower: 0.6, ratioUpper: 6 })).toBe('no difference yet: ratio between 0.6× and 6×');
    expect(noHarmYet({ ratioLower: 0.25, ratioUpper: 0.71 })).toBe('candidate better than stable: ratio between 0.25× and 0.71×');
  });

  it('lists latency as not compared when stable had no duration data', () => {
    const [result] = looks(1, (i) => ({ minute: minuteAt(i), candidate: versionMinute(60), stable: versionMinute(540, 3) }), { baseline: { minutes: 15, invocations: 9000, errors: 45 } });
    expect(result!.checks!.find((check) => check.name === 'latency')!.summary).toMatch(/^not compared/);
  });

  it('says what the queue shows at every look — retry rate, backlog, age, dead letters — so a queue rollback has a visible cause', () => {
    const queue: QueueMinute = { sent: 600, received: 660, deleted: 600, visible: 2, ageOfOldestSeconds: 25, dlqVisible: 0, notVisible: 3 };
    const results = looks(12, (i) => ({ minute: minuteAt(i), candidate: versionMinute(300), stable: versionMinute(300), queue }), {
      context: { trigger: 'sqs', weight: 50, queue: { batchSize: 10, reportBatchItemFailures: true, visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0, maxReceiveCount: 5 } },
      baseline: { ...JUDGE_BASELINE, queue: QUEUE_BASELINE },
    });
    for (const result of results) {
      const summary = result.checks!.find((check) => check.name === 'queue')!.summary;
      expect(summary).toMatch(/backlog \d+ \(limit [\d,]+\)/);
      expect(summary).toMatch(/oldest message \d+ s/);
      expect(summary).toMatch(/new dead letters/);
      expect(readable(summary)).toBe(true);
    }
    const rolledBack = results.find((result) => result.phase === 'fail')!;
    expect(rolledBack.checks![0]!.name).toBe('queue');
    expect(rolledBack.checks![0]!.summary).toMatch(/retry rate 9\.\d+%.*99% sure: roll back/);
  });
});
