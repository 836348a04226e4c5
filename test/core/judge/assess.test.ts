import { describe, expect, it } from 'vitest';
import { type AnalysisRequest, analysisSchema, assess, type Assessment, judgeChecks, type JudgeContext, type JudgeInput, type JudgeMemory } from '../../../src/core/judge/index.ts';
import type { Baseline, MeasurementFailure, MinuteObservation, VersionMinute } from '../../../src/core/ports.ts';
import { LEANING_WORSE_EVIDENCE } from '../../../src/core/judge/error-rate.ts';
import { judgeContext, JUDGE_BASELINE, minuteAt, versionMinute } from '../../helpers/factories.ts';


function minute(candidate: VersionMinute | null, stable: VersionMinute | null, index = 0): MinuteObservation {
  return { minute: minuteAt(index), candidate, stable };
}

function input(minutes: MinuteObservation[], options: { memory?: JudgeMemory; context?: Partial<JudgeContext>; settings?: AnalysisRequest; baseline?: Baseline; failures?: MeasurementFailure[] } = {}): JudgeInput {
  return {
    memory: options.memory,
    window: { minutes, failures: options.failures ?? [] },
    baseline: options.baseline ?? JUDGE_BASELINE,
    context: judgeContext(options.context),
    settings: analysisSchema.parse(options.settings ?? {}),
  };
}

/** Feeds the same minute `times` times, one look each, and returns the last assessment. */
function repeat(times: number, make: (i: number) => MinuteObservation, options: Parameters<typeof input>[1] = {}): Assessment {
  let memory = options.memory;
  let last!: Assessment;
  for (let i = 0; i < times; i++) {
    last = assess(input([make(i)], { ...options, memory }));
    memory = JSON.parse(JSON.stringify(last.memory)) as JudgeMemory;
  }
  return last;
}

describe('assess', () => {
  it('rolls back at once when the candidate fails far beyond the error-rate guardrail', () => {
    const result = assess(input([minute(versionMinute(60, 40), versionMinute(540, 3))]));
    expect(result.phase).toBe('fail');
    expect(result.reasons[0]).toMatch(/^guardrail: the candidate's error rate is above the 20.00% limit/);
  });

  it('does not read one noisy minute of a 2%-baseline canary as an outage, even with a 5% guardrail', () => {
    const result = assess(input([minute(versionMinute(60, 3), versionMinute(540, 11))], { settings: { maxErrorRate: 0.05 }, baseline: { ...JUDGE_BASELINE, errors: 180 } }));
    expect(result.phase).not.toBe('fail');
  });

  it('rolls back when the candidate is throttled beyond its limit', () => {
    const result = assess(input([minute(versionMinute(20, 0, { throttles: 40 }), versionMinute(540, 3))]));
    expect(result.phase).toBe('fail');
    expect(result.reasons.join(' ')).toMatch(/throttled above the 10.00% limit/);
  });

  it('holds a step until the candidate has served the minimum requests', () => {
    const result = assess(input([minute(versionMinute(60, 0), versionMinute(540, 3))]));
    expect(result.phase).toBe('inconclusive');
    expect(result.reasons[0]).toBe('waiting for traffic: 60 of 100 candidate requests at this step');
    expect(result.figures['stepRequests']).toBe(60);
  });

  it('lets an early step pass once it has seen enough requests and no harm', () => {
    const result = repeat(2, (i) => minute(versionMinute(60, 0), versionMinute(540, 3), i));
    expect(result.phase).toBe('pass');
    expect(result.reasons[0]).toMatch(/^no error regression found/);
  });

  it('keeps an early step at its weight while the candidate leans worse, and lets it pass once it does not', () => {
    // 4 errors in 120 candidate requests against 6 in 1,080 of stable's: the odds favour worse, short of a verdict.
    const leaning = repeat(2, (i) => minute(versionMinute(60, 2), versionMinute(540, 3), i));
    expect(leaning.phase).toBe('inconclusive');
    expect(leaning.reasons[0]).toMatch(/^the candidate leans worse: about [\d.]+× stable's errors so far, short of a verdict; holding this weight/);
    expect(leaning.figures['errorEvidence']).toBeGreaterThanOrEqual(LEANING_WORSE_EVIDENCE);
    const settled = repeat(10, (i) => minute(versionMinute(60, 0), versionMinute(540, 3), i + 2), { memory: leaning.memory });
    expect(settled.phase).toBe('pass');
  });

  it('lets an early step pass while the candidate leans worse once the budget has no room left to hold it', () => {
    const leaning = (i: number) => minute(versionMinute(60, 2), versionMinute(540, 3), i);
    expect(repeat(2, leaning).phase).toBe('inconclusive');
    const noRoom = repeat(2, leaning, { context: { noRoomToHold: true } });
    expect(noRoom.phase).toBe('pass');
    expect(noRoom.figures['errorEvidence']).toBeGreaterThanOrEqual(LEANING_WORSE_EVIDENCE);
  });

  it('counts exposure per step: a new step starts from zero while the evidence carries on', () => {
    const first = repeat(3, (i) => minute(versionMinute(60, 1), versionMinute(540, 3), i));
    const next = assess(input([minute(versionMinute(150, 1), versionMinute(450, 2), 3)], { memory: first.memory, context: { stepIndex: 1, weight: 25 } }));
    expect(next.figures['stepRequests']).toBe(150);
    expect(next.figures['candidateRequests']).toBe(330);
  });

  it('rolls back when the candidate fails more often than stable in the same minutes', () => {
    const result = repeat(10, (i) => minute(versionMinute(300, 9), versionMinute(300, 1), i), { context: { weight: 50 } });
    expect(result.phase).toBe('fail');
    expect(result.reasons[0]).toMatch(/^candidate fails [\d.]+–∞× as often as stable, 99% sure: roll back; candidate 3\.00% errors/);
    expect(result.checks![0]).toMatchObject({ name: 'errors', phase: 'fail', summary: expect.stringMatching(/^candidate fails [\d.]+–∞× as often as stable, 99% sure: roll back$/) });
    expect(Number(result.figures['errorEvidence'])).toBeGreaterThanOrEqual(Number(result.figures['errorEvidenceNeeded']));
  });

  it('promotes on the final step only once the error rate is shown under the bar', () => {
    const final = { context: { stepIndex: 2, weight: 50, isFinalStep: true } };
    const early = repeat(3, (i) => minute(versionMinute(300, 1), versionMinute(300, 2), i), final);
    expect(early.phase).toBe('inconclusive');
    expect(early.reasons[0]).toMatch(/^not yet 99% sure under the 1.00% promotion bar/);
    const later = repeat(20, (i) => minute(versionMinute(300, 1), versionMinute(300, 2), i), final);
    expect(later.phase).toBe('pass');
    expect(later.reasons[0]).toMatch(/^under the 1.00% promotion bar, 99% sure: promote/);
    expect(Number(later.figures['promotionEvidence'])).toBeGreaterThanOrEqual(100);
  });

  it('counts every request the candidate served since the first shift towards promotion', () => {
    const first = repeat(10, (i) => minute(versionMinute(300, 1), versionMinute(300, 2), i), { context: { stepIndex: 0, weight: 50 } });
    const final = assess(input([minute(versionMinute(300, 1), versionMinute(300, 2), 10)], { memory: first.memory, context: { stepIndex: 1, stepCount: 2, weight: 50, isFinalStep: true } }));
    expect(final.figures['candidateRequests']).toBe(3300);
    expect(final.figures['stepRequests']).toBe(300);
    expect(final.phase).toBe('pass');
  });

  const planned = { bar: 0.02, alternative: 0.005, alpha: 0.01, stepMinRequests: [40, 60], finalStepMinRequests: 500 };

  it('holds each step to the exposure the plan asked of it, not a fixed 100 requests', () => {
    const result = assess(input([minute(versionMinute(45, 0), versionMinute(15, 0))], { context: { stepIndex: 0, stepCount: 2, weight: 75, promotion: planned } }));
    expect(result.figures['stepMinRequests']).toBe(40);
    expect(result.phase).toBe('pass');
  });

  it('judges against the bar the plan fixed, not one computed from the canary', () => {
    const result = repeat(30, (i) => minute(versionMinute(30, 0), versionMinute(10, 0), i), { context: { stepIndex: 1, stepCount: 2, weight: 75, isFinalStep: true, promotion: planned } });
    expect(result.figures['promotionBar']).toBe(0.02);
    expect(result.phase).toBe('pass');
  });

  it('holds the final weight for the requests the plan asked of it, so that a late regression shows first', () => {
    const result = repeat(12, (i) => minute(versionMinute(30, 0), versionMinute(10, 0), i), { context: { stepIndex: 1, stepCount: 2, weight: 75, isFinalStep: true, promotion: planned } });
    expect(Number(result.figures['promotionEvidence'])).toBeGreaterThanOrEqual(100);
    expect(result.phase).toBe('inconclusive');
    expect(result.reasons[0]).toMatch(/^under the 2.00% promotion bar, 99% sure; holding the final weight: 360 of 500 requests/);
  });

  it('promotes a candidate that has shown the bar with the final share as served, once the budget is spent', () => {
    const result = repeat(12, (i) => minute(versionMinute(30, 0), versionMinute(10, 0), i), { context: { stepIndex: 1, stepCount: 2, weight: 75, isFinalStep: true, promotion: planned, budgetSpent: true } });
    expect(result.figures['stepRequests']).toBe(360);
    expect(result.phase).toBe('pass');
  });

  it("does not promote while the final step's own requests lean towards the bar, whatever came before", () => {
    const healthy = repeat(40, (i) => minute(versionMinute(40, 0), versionMinute(40, 0), i), { context: { stepIndex: 0, stepCount: 2, weight: 50, promotion: planned } });
    const late = repeat(13, (i) => minute(versionMinute(40, i < 10 ? 0 : 3), versionMinute(40, 0), 40 + i), { memory: healthy.memory, context: { stepIndex: 1, stepCount: 2, weight: 50, isFinalStep: true, promotion: planned } });
    expect(Number(late.figures['promotionEvidence'])).toBeGreaterThanOrEqual(100);
    expect(late.phase).not.toBe('pass');
  });

  it('promotes a function that never fails on the absolute margin, where a ratio says nothing', () => {
    const result = repeat(20, (i) => minute(versionMinute(300, 0), versionMinute(300, 0), i), {
      context: { stepIndex: 2, weight: 50, isFinalStep: true },
      baseline: { ...JUDGE_BASELINE, errors: 0 },
    });
    expect(result.phase).toBe('pass');
    expect(result.figures['errorRatioUpper']).toBeNull();
  });

  it('never promotes while the candidate is over the bar, however long it runs', () => {
    const result = repeat(60, (i) => minute(versionMinute(300, 4), versionMinute(300, 2), i), { context: { stepIndex: 2, weight: 50, isFinalStep: true } });
    expect(result.phase).not.toBe('pass');
  });

  it('rolls back on slow requests above the baseline threshold', () => {
    const result = repeat(6, (i) => minute(versionMinute(300, 1, { slow: 15 }), versionMinute(300, 1, { slow: 3 }), i), { context: { weight: 50 } });
    expect(result.phase).toBe('fail');
    expect(result.reasons[0]).toMatch(/^candidate is slower: .* as many requests over 400 ms as stable, 99% sure: roll back; .* slower than 400 ms/);
  });

  it('says latency is not compared when there was no baseline duration', () => {
    const { latencyThresholdMs: _none, ...withoutLatency } = JUDGE_BASELINE;
    const result = assess(input([minute(versionMinute(60, 0), versionMinute(540, 3))], { baseline: withoutLatency }));
    expect(result.reasons).toContain('latency not compared: the stable version had no duration data before the first shift');
  });

  it('treats a silent candidate while stable has traffic as missing data, not as health', () => {
    const result = repeat(2, (i) => minute(i === 0 ? versionMinute(60) : null, versionMinute(540, 3), i));
    expect(result.phase).toBe('inconclusive');
    expect(result.reasons).toContain('metrics missing: no candidate datapoint in 1 minute while stable had traffic');
  });

  it('reads a silent candidate as zero requests when the weights make zero plausible', () => {
    const result = assess(input([minute(null, versionMinute(18, 0))], { context: { weight: 10 } }));
    expect(result.reasons.some((reason) => reason.startsWith('metrics missing'))).toBe(false);
  });

  it('is inconclusive when a query failed, and says so louder when it keeps failing', () => {
    const failures = [{ metric: 'Errors', message: 'AccessDenied' }];
    const result = repeat(3, (i) => minute(versionMinute(60), versionMinute(540, 3), i), { failures });
    expect(result.phase).toBe('inconclusive');
    expect(result.reasons).toContain('metrics missing: the query for Errors failed (AccessDenied)');
    expect(result.reasons).toContain("metrics have been missing at 3 looks in a row: check the metrics queries and Coalmine's permissions");
  });

  it('still rolls back on what it could read when another query failed', () => {
    const result = assess(input([minute(versionMinute(60, 40), versionMinute(540, 3))], { failures: [{ metric: 'Duration', message: 'timeout' }] }));
    expect(result.phase).toBe('fail');
  });

  it('trips the p99 guardrail on a run of minutes above the limit, not on one', () => {
    const slow = (i: number) => minute(versionMinute(300, 1, { p99Ms: 2500 }), versionMinute(300, 1), i);
    expect(repeat(1, slow, { settings: { maxP99Ms: 1000 }, context: { weight: 50 } }).phase).not.toBe('fail');
    const many = repeat(12, slow, { settings: { maxP99Ms: 1000 }, context: { weight: 50 } });
    expect(many.phase).toBe('fail');
    expect(many.reasons[0]).toMatch(/p99 is above the 1,000 ms limit/);
  });

  describe('custom metrics', () => {
    const metric = { id: 'checkout_failures', namespace: 'Shop', metricName: 'CheckoutFailures' };

    it('rolls back when a higher-is-worse count rises on the candidate', () => {
      const result = repeat(8, (i) => minute(versionMinute(300, 1, { custom: { checkout_failures: 9 } }), versionMinute(300, 1, { custom: { checkout_failures: 3 } }), i), {
        settings: { customMetrics: [metric] },
        context: { weight: 50 },
      });
      expect(result.phase).toBe('fail');
      expect(result.reasons[0]).toMatch(/^candidate's checkout_failures is higher: .* stable's per request, 99% sure: roll back/);
    });

    it('rolls back when a lower-is-worse count drops on the candidate', () => {
      const orders = { ...metric, id: 'orders', metricName: 'Orders', direction: 'lowerIsWorse' as const };
      const result = repeat(8, (i) => minute(versionMinute(300, 1, { custom: { orders: 60 } }), versionMinute(300, 1, { custom: { orders: 120 } }), i), {
        settings: { customMetrics: [orders] },
        context: { weight: 50 },
      });
      expect(result.phase).toBe('fail');
      expect(result.reasons[0]).toMatch(/orders is lower: [\d.]+–[\d.]+× stable's per request/);
    });

    it('rolls back on a gauge beyond its limit two minutes running, not one', () => {
      const gauge = { ...metric, id: 'basket', metricName: 'Basket', kind: 'gauge' as const, direction: 'lowerIsWorse' as const, limit: 20 };
      const low = (i: number) => minute(versionMinute(300, 1, { custom: { basket: 12 } }), versionMinute(300, 1, { custom: { basket: 40 } }), i);
      expect(repeat(1, low, { settings: { customMetrics: [gauge] } }).phase).not.toBe('fail');
      expect(repeat(2, low, { settings: { customMetrics: [gauge] } }).phase).toBe('fail');
    });

    it('holds for a gauge with a limit that the candidate does not report, but not for a gauge without one (shown, not judged)', () => {
      const unreported = (gauge: object) => repeat(3, (i) => minute(versionMinute(300, 1), versionMinute(300, 1), i), { settings: { customMetrics: [{ ...metric, id: 'basket', metricName: 'Basket', kind: 'gauge' as const, ...gauge }] }, context: { weight: 50 } });
      expect(unreported({ limit: 20 }).reasons).toContain('basket missing for the candidate in 1 minute');
      const shown = unreported({});
      expect(shown.reasons.some((reason) => reason.startsWith('basket missing'))).toBe(false);
      expect(shown.checks?.find((check) => check.name === 'custom:basket')?.phase).toBe('pass');
    });

    it('treats a metric one version reports and the other does not as missing', () => {
      const result = assess(input([minute(versionMinute(300, 1), versionMinute(300, 1, { custom: { checkout_failures: 2 } }))], { settings: { customMetrics: [metric] } }));
      expect(result.phase).toBe('inconclusive');
      expect(result.reasons).toContain('checkout_failures missing for one version in 1 minute');
    });
  });

  it('keeps its memory small and JSON-safe over a long canary', () => {
    const result = repeat(200, (i) => minute(versionMinute(300, 2), versionMinute(300, 1, { custom: { x: 1 } }), i), {
      context: { weight: 50 },
      settings: { customMetrics: [{ id: 'x', namespace: 'N', metricName: 'X' }] },
    });
    const json = JSON.stringify(result.memory);
    expect(JSON.parse(json)).toEqual(result.memory);
    expect(json.length).toBeLessThan(2000);
  });

  it('gives every figure as a number, string, boolean or null', () => {
    const result = repeat(5, (i) => minute(versionMinute(300, 2), versionMinute(300, 1), i));
    for (const value of Object.values(result.figures)) expect(['number', 'string', 'boolean', 'object']).toContain(typeof value);
    expect(Object.values(result.figures).every((v) => v === null || typeof v !== 'object')).toBe(true);
    expect(Object.values(result.figures).every((v) => typeof v !== 'number' || Number.isFinite(v))).toBe(true);
  });

  it('runs the queue checks only for SQS-triggered canaries', () => {
    const api = judgeChecks(input([], { context: { trigger: 'api' } })).map((check) => check.name);
    expect(api).toEqual(['guardrails', 'errors', 'latency', 'data']);
  });
});
