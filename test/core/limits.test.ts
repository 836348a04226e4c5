import { describe, expect, it } from 'vitest';
import { PlanLimitError } from '../../src/core/errors.ts';
import { analysisSchema } from '../../src/core/judge/settings.ts';
import { checkCustomMetrics, checkSchedule, checkStateSize, checkVersions, checkWeights, worstCaseSchedule } from '../../src/core/limits.ts';
import { CODEDEPLOY_STRATEGIES, DEFAULT_API_STRATEGY, parseStrategy } from '../../src/core/strategy.ts';

const analysis = analysisSchema.parse({});
const refused = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PlanLimitError);
    return (error as Error).message;
  }
  throw new Error('expected a PlanLimitError');
};

describe('checkSchedule', () => {
  it('accepts every shipped strategy with the default analysis', () => {
    for (const strategy of [...Object.values(CODEDEPLOY_STRATEGIES), DEFAULT_API_STRATEGY]) {
      expect(() => checkSchedule(strategy, analysis, 0)).not.toThrow();
    }
  });

  it('refuses 50 steps of 60 minutes: past 48 hours, with the numbers', () => {
    const strategy = parseStrategy({ steps: Array.from({ length: 50 }, (_, i) => i + 1), intervalMinutes: 60 });

    expect(refused(() => checkSchedule(strategy, analysis, 0))).toBe(
      "strategy: 50 steps × (60 min + up to 120 min of extension) can take 151.7 h, past the execution's 48 h; use fewer or shorter steps, or a smaller analysis.maxExtensionMinutes",
    );
  });

  it('refuses a schedule that fits in 48 hours but not in the execution history', () => {
    const strategy = parseStrategy({ steps: Array.from({ length: 20 }, (_, i) => 4 * (i + 1)), intervalMinutes: 20 });
    const schedule = worstCaseSchedule(strategy, analysis, 0);

    expect(schedule.worstCaseMinutes).toBeLessThan(48 * 60);
    expect(refused(() => checkSchedule(strategy, analysis, 0))).toMatch(/^strategy: 20 steps .* can write \d{2},\d{3} history events; Step Functions stops an execution at 25,000/);
  });

  it('counts the worst case by the look: a look every 5 minutes writes a fifth of the events', () => {
    const strategy = parseStrategy({ steps: [10, 50], intervalMinutes: 30 });
    const everyMinute = worstCaseSchedule(strategy, analysis, 0).worstCaseEvents;
    const everyFive = worstCaseSchedule(strategy, { ...analysis, evaluationMinutes: 5 }, 0).worstCaseEvents;

    expect(everyFive).toBeLessThan(everyMinute / 4);
  });

  it('counts the bake after promotion and the alarm reads, and says so when they do not fit', () => {
    const strategy = parseStrategy({ steps: [10, 25, 50], intervalMinutes: 5 });
    const plain = worstCaseSchedule(strategy, analysis, 0);
    const baked = worstCaseSchedule(strategy, analysis, 0, { bakeMinutes: 60 });

    expect(baked.worstCaseMinutes - plain.worstCaseMinutes).toBe(60 + analysis.maxExtensionMinutes + analysis.evaluationMinutes + 1);
    expect(worstCaseSchedule(strategy, analysis, 0, { readsAlarms: true }).worstCaseEvents).toBeGreaterThan(plain.worstCaseEvents);
    expect(refused(() => checkSchedule(strategy, analysis, 0, { bakeMinutes: 1440, readsAlarms: true }))).toMatch(
      /^strategy: 3 steps × \(5 min \+ up to 120 min of extension\) and 1440 min after promotion \(postPromotionMinutes\) with a look every 1 min can write 20,\d{3} history events/,
    );
  });
});

describe('checkWeights', () => {
  it('refuses a step that rounds to nothing', () => {
    expect(refused(() => checkWeights(parseStrategy({ steps: [0.00001, 50], intervalMinutes: 5 })))).toBe('strategy.steps[0]: 0.00001% routes nothing (Lambda gets weights to 0.0001%); use at least 0.0001%');
  });

  it('refuses two steps that round to the same weight', () => {
    expect(refused(() => checkWeights(parseStrategy({ steps: [1, 1.00001], intervalMinutes: 5 })))).toMatch(/^strategy\.steps\[1\]: 1\.00001% routes the same as the step before/);
  });

  it('accepts small but routable steps', () => {
    expect(() => checkWeights(parseStrategy({ steps: [0.0001, 0.5, 50], intervalMinutes: 5 }))).not.toThrow();
  });
});

describe('checkCustomMetrics', () => {
  const metric = (id: string, dimensions: Record<string, string> = {}) => analysisSchema.parse({ customMetrics: [{ id, namespace: 'Shop', metricName: 'Failed', dimensions }] }).customMetrics[0]!;

  it('refuses an id used twice', () => {
    expect(refused(() => checkCustomMetrics([metric('failed'), metric('failed')]))).toBe('analysis.customMetrics[1].id: "failed" is used twice; CloudWatch needs every query id of a request to be unique');
  });

  it('refuses 30 dimensions plus the version dimension (31)', () => {
    const dimensions = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i}`, 'x']));
    expect(refused(() => checkCustomMetrics([metric('failed', dimensions)]))).toBe('analysis.customMetrics[0].dimensions: 30 dimensions and the version dimension make 31; CloudWatch takes at most 30');
  });

  it('refuses the version dimension among the fixed ones', () => {
    expect(refused(() => checkCustomMetrics([metric('failed', { ExecutedVersion: '12' })]))).toMatch(/also names "ExecutedVersion"/);
  });
});

describe('checkVersions', () => {
  const version = (v: string, extra: Record<string, string> = {}) => ({ version: v, state: 'Active', role: 'arn:aws:iam::1:role/r', ...extra });

  it.each(['Pending', 'Inactive', 'Failed'])('refuses a candidate that is %s', (state) => {
    expect(refused(() => checkVersions('checkout', version('12'), version('13', { state })))).toMatch(new RegExp(`^candidateVersion: checkout version 13 is ${state}, not Active; `));
  });

  it('refuses versions with different execution roles', () => {
    expect(refused(() => checkVersions('checkout', version('12'), version('13', { role: 'arn:aws:iam::1:role/other' })))).toMatch(/same execution role$/);
  });

  it('refuses versions with different dead-letter configuration', () => {
    expect(refused(() => checkVersions('checkout', version('12'), version('13', { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:1:dlq' })))).toMatch(/same dead-letter configuration$/);
  });

  it('accepts two Active versions with the same role and DLQ', () => {
    expect(() => checkVersions('checkout', version('12'), version('13'))).not.toThrow();
  });
});

describe('checkStateSize', () => {
  it('refuses a state near 256 KiB, with its size', () => {
    expect(refused(() => checkStateSize({ baseline: 'x'.repeat(200 * 1024) }, 'lower analysis.baselineMinutes'))).toMatch(/^plan: the canary's state is 200 KiB; Step Functions passes at most 256 KiB .*; lower analysis\.baselineMinutes$/);
  });

  it('returns the size of a state that fits', () => {
    expect(checkStateSize({ a: 1 }, '')).toBe(7);
  });
});
