import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanLimitError } from '../../src/core/errors.ts';
import { analysisSchema } from '../../src/core/judge/settings.ts';
import { checkCustomMetrics, checkSchedule, checkStateSize, checkVersions, checkWeights, EXECUTION_TIMEOUT_MINUTES, fitSchedule, HISTORY_EVENT_BUDGET, worstCaseSchedule } from '../../src/core/limits.ts';
import { defaultEventStrategy, eventStepMinutes, redriveDelaySeconds } from '../../src/core/sqs.ts';
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

describe('fitSchedule', () => {
  const eventDefault = (intervalMinutes: number) => ({ name: 'Coalmine event default', steps: [5, 10, 25, 50], intervalMinutes });

  it('leaves a schedule that fits as it is, and says nothing', () => {
    const fitted = fitSchedule(eventDefault(30), analysis, 16, {}, 15);

    expect(fitted).toMatchObject({ strategy: eventDefault(30), analysis, warnings: [] });
  });

  it('looks less often first, when only the history is too long: a 3-hour visibility timeout', () => {
    const strategy = eventDefault(360);
    expect(worstCaseSchedule(strategy, analysis, 181).worstCaseEvents).toBeGreaterThan(HISTORY_EVENT_BUDGET);

    const fitted = fitSchedule(strategy, analysis, 181, {}, 180);

    expect(fitted.strategy).toEqual(strategy);
    expect(fitted.analysis).toEqual({ ...analysis, evaluationMinutes: 2 });
    expect(fitted.warnings).toEqual([expect.stringMatching(/^analysis\.evaluationMinutes: Coalmine looks every 2 min, not every 1, so that the canary fits Step Functions \(as planned, 4 steps × \(360 min \+ up to 120 min of extension\) with a look every 1 min can write 21,\d{3} history events/)]);
  });

  it('drops a middle step before the schedule can outlast the execution, and holds a step a little less: a 6-hour visibility timeout', () => {
    const fitted = fitSchedule(eventDefault(720), analysis, 361, {}, 361);

    expect(fitted.strategy).toMatchObject({ steps: [5, 25, 50], intervalMinutes: 720 });
    expect(fitted.analysis.maxExtensionMinutes).toBeLessThan(analysis.maxExtensionMinutes);
    expect(fitted.schedule.worstCaseMinutes).toBeLessThanOrEqual(EXECUTION_TIMEOUT_MINUTES);
    expect(fitted.schedule.worstCaseEvents).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
    expect(fitted.warnings.join('\n')).toMatch(/^analysis\.maxExtensionMinutes: a step is held at most \d+ min for evidence, not 120/m);
    expect(fitted.warnings.join('\n')).toMatch(/^strategy: Coalmine's default drops its 10% step \(5% → 25% → 50% → 100%, 720 min a step\), so that the canary fits Step Functions \(as planned, 4 steps × \(720 min \+ up to 120 min of extension\) can take \d+(\.\d)? h, past the execution's 48 h\)$/m);
  });

  it('keeps the first and last steps, then shortens them to one retry cycle: a 12-hour visibility timeout', () => {
    const fitted = fitSchedule(eventDefault(1440), analysis, 721, {}, 721);

    expect(fitted.strategy).toMatchObject({ steps: [5, 50], intervalMinutes: 721 });
    expect(fitted.analysis).toEqual(analysis);
    expect(fitted.warnings).toEqual([
      expect.stringMatching(/^strategy: Coalmine's default drops its 10% and 25% steps \(5% → 50% → 100%, 721 min a step\)/),
      expect.stringMatching(/^strategy: each step lasts one retry cycle of the queue \(721 min\), not 1440 min/),
    ]);
  });

  it('fits every default event strategy for visibility timeouts up to SQS’s 12 hours, within both limits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 43_200 }), fc.integer({ min: 0, max: 300 }), fc.boolean(), (visibilityTimeoutSeconds, batchingWindowSeconds, readsAlarms) => {
        const queue = { visibilityTimeoutSeconds, batchingWindowSeconds };
        const extra = Math.ceil(redriveDelaySeconds(queue) / 60);
        const fitted = fitSchedule(defaultEventStrategy(queue), analysis, extra, { readsAlarms }, eventStepMinutes(queue, 1));

        expect(fitted.schedule).toEqual(worstCaseSchedule(fitted.strategy, fitted.analysis, extra, { readsAlarms }));
        expect(fitted.schedule.worstCaseMinutes).toBeLessThanOrEqual(EXECUTION_TIMEOUT_MINUTES);
        expect(fitted.schedule.worstCaseEvents).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
        expect(fitted.strategy.steps[0]).toBe(5);
        expect(fitted.strategy.steps.at(-1)).toBe(50);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses, as checkSchedule does, when no shorter schedule fits either: a bake longer than the execution', () => {
    expect(refused(() => fitSchedule(DEFAULT_API_STRATEGY, analysis, 0, { bakeMinutes: 3000 }))).toMatch(
      /^strategy: 3 steps × \(5 min \+ up to 120 min of extension\) and 3000 min after promotion \(postPromotionMinutes\) can take .* past the execution's 48 h, and no shorter schedule of Coalmine's fits either; use fewer or shorter steps/,
    );
  });
});
