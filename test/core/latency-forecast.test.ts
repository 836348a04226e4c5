import { describe, expect, it } from 'vitest';
import { estimateTraffic, planCanary } from '../../src/core/forecast.ts';
import { latencyClause, latencyForecast } from '../../src/core/latency-forecast.ts';
import { analysisSchema, type AnalysisRequest } from '../../src/core/judge/settings.ts';
import { DEFAULT_API_STRATEGY, parseStrategy } from '../../src/core/strategy.ts';

/** Plan for 15 steady baseline minutes and a steady day at 0.5% errors, with stable's p99 at 400 ms before the shift (or, `durations: false`, no duration data). */
function plan(requestsPerMinute: number, analysis: AnalysisRequest = {}, durations = true) {
  const hours = Array.from({ length: 24 }, (_, hour) => ({ start: `hour ${hour}`, invocations: requestsPerMinute * 60, errors: Math.round(requestsPerMinute * 60 * 0.005) }));
  const invocations = requestsPerMinute * 15;
  const baseline = { minutes: 15, invocations, errors: Math.round(invocations * 0.005), medianInvocationsPerMinute: requestsPerMinute, ...(durations ? { latencyThresholdMs: 400 } : {}) };
  return planCanary({ traffic: estimateTraffic(baseline, hours), strategy: undefined, settings: analysisSchema.parse(analysis) }).forecast;
}

describe('the forecast of the latency test', () => {
  it('says at 20 requests a minute that even 5× stable’s share of slow requests cannot be told from noise within the budget', () => {
    const forecast = plan(20);
    expect(forecast.latency).toMatchObject({ percentile: 99, thresholdMs: 400, stableSlowShare: 0.01 });
    expect(forecast.latency!.regressions).toEqual([
      { label: '2×', slowShare: 0.02, minutesToRollback: null, mayBePromotedFirst: true },
      { label: '5×', slowShare: 0.05, minutesToRollback: null, mayBePromotedFirst: true },
    ]);
    expect(forecast.summary).toMatch(/; at this traffic a slowdown of the slowest requests \(5× stable's share over its p99\) cannot be told from noise within 60 minutes\.$/);
  });

  it('says at 600 requests a minute how soon 5× the slow share is rolled back, well before promotion, and keeps the summary short', () => {
    const forecast = plan(600);
    const [twice, fivefold] = forecast.latency!.regressions;
    expect(fivefold!.minutesToRollback).toBeGreaterThanOrEqual(4);
    expect(fivefold!.minutesToRollback).toBeLessThanOrEqual(10);
    expect(fivefold!.mayBePromotedFirst).toBe(false);
    // 2× takes longer than 5×, and about as long as a promotion: it may be promoted first.
    expect(twice!.minutesToRollback).toBeGreaterThan(fivefold!.minutesToRollback!);
    expect(twice!.mayBePromotedFirst).toBe(twice!.minutesToRollback! > forecast.minutesToPromote!);
    expect(forecast.summary).not.toMatch(/slowest requests/);
  });

  it('counts the share of slow requests from the percentile the latency test judges', () => {
    const forecast = plan(600, { latencyPercentile: 95 });
    expect(forecast.latency).toMatchObject({ percentile: 95, stableSlowShare: 0.05 });
    expect(forecast.latency!.regressions.map((r) => r.slowShare)).toEqual([0.1, 0.25]);
    // Five times as many slow requests a minute are told from noise sooner than at p99.
    expect(forecast.latency!.regressions[0]!.minutesToRollback).toBeLessThan(plan(600).latency!.regressions[0]!.minutesToRollback!);
  });

  it('says nothing of latency when stable had no duration data before the shift', () => {
    const forecast = plan(20, {}, false);
    expect(forecast.latency).toBeUndefined();
    expect(forecast.summary).not.toMatch(/slowest requests/);
  });

  it('states a rollback that comes only after the median promotion as one that may be promoted first', () => {
    const latency = latencyForecast({ strategy: parseStrategy('Canary10Percent5Minutes'), requestsPerMinute: 150, thresholdMs: 400, percentile: 99, alpha: 0.01, budget: 60, minutesToPromote: 8, stepLagMinutes: 0, decisionLagMinutes: 1 });
    const fivefold = latency.regressions[1]!;
    expect(fivefold.minutesToRollback).toBeGreaterThan(8);
    expect(fivefold.mayBePromotedFirst).toBe(true);
    expect(latencyClause({ latency, maxDurationMinutes: 60 })).toBe(`; at this traffic a slowdown of the slowest requests (5× stable's share over its p99) may be promoted before it is told from noise (about ${fivefold.minutesToRollback} minutes)`);
  });

  it('never states a rollback for a canary that is not expected to promote as promoted first', () => {
    const latency = latencyForecast({ strategy: DEFAULT_API_STRATEGY, requestsPerMinute: 5, thresholdMs: 400, percentile: 99, alpha: 0.01, budget: 60, minutesToPromote: null, stepLagMinutes: 0, decisionLagMinutes: 1 });
    expect(latency.regressions.map((r) => r.mayBePromotedFirst)).toEqual([false, false]);
    expect(latencyClause({ latency, maxDurationMinutes: 60 })).toBe("; at this traffic a slowdown of the slowest requests (5× stable's share over its p99) cannot be told from noise within 60 minutes");
  });
});
