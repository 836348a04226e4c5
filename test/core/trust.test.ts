import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analysisSchema } from '../../src/core/judge/settings.ts';
import { EventNotAllowedError } from '../../src/core/errors.ts';
import { parseRequest } from '../../src/core/request.ts';
import { checkEventRequest } from '../../src/core/trust.ts';
import { TRIGGER_SOURCES } from '../../src/core/trigger.ts';

const base = { functionName: 'checkout', alias: 'live', candidateVersion: '13' };
const optedIn = { 'coalmine:alias': 'live' };

function check(raw: Record<string, unknown>, tags: Record<string, string> = optedIn) {
  return checkEventRequest({ source: TRIGGER_SOURCES.releaseEvent, raw, request: parseRequest(raw), functionName: 'checkout', tags });
}

function refusal(raw: Record<string, unknown>, tags: Record<string, string> = optedIn): string {
  try {
    check(raw, tags);
  } catch (error) {
    expect(error).toBeInstanceOf(EventNotAllowedError);
    return (error as Error).message;
  }
  throw new Error('expected the event to be refused');
}

describe('checkEventRequest', () => {
  it('lets an event canary a function that opted in, with the defaults', () => {
    expect(check(base)).toBeUndefined();
  });

  it('uses the strategy the owner tagged when the event names none', () => {
    expect(check(base, { ...optedIn, 'coalmine:strategy': 'Linear10PercentEvery3Minutes' })?.name).toBe('Linear10PercentEvery3Minutes');
  });

  it('refuses a function that has not opted in', () => {
    expect(refusal(base, {})).toBe('functionName: checkout has not opted in to canaries started by events (no "coalmine:alias" tag); start it with StartExecution (coalmine start) instead');
  });

  it('refuses an alias other than the one the owner opted in', () => {
    expect(refusal({ ...base, alias: 'canary' })).toBe('alias: checkout lets events canary alias live only (its "coalmine:alias" tag), not canary');
  });

  it('refuses AllAtOnce unless the owner allowed it, and allows it when they did', () => {
    expect(refusal({ ...base, strategy: 'AllAtOnce' })).toMatch(/^strategy: checkout does not let events choose AllAtOnce; allowed: none/);
    expect(() => check({ ...base, strategy: 'AllAtOnce' }, { ...optedIn, 'coalmine:strategies': 'Canary10Percent5Minutes AllAtOnce' })).not.toThrow();
    expect(() => check({ ...base, strategy: 'CodeDeployDefault.LambdaAllAtOnce' }, { ...optedIn, 'coalmine:strategy': 'AllAtOnce' })).not.toThrow();
  });

  it('refuses steps of the event\'s own, even gentle ones', () => {
    expect(refusal({ ...base, strategy: { steps: [1, 2, 3], intervalMinutes: 60 } }, { ...optedIn, 'coalmine:strategy': 'Canary10Percent5Minutes' })).toMatch(/^strategy: an event may only name a strategy its function allows \(Canary10Percent5Minutes\)/);
  });

  it.each([
    [{ alpha: 1e-300 }, 'analysis.alpha: an event may not make the judge more lenient than the defaults; at least 0.01, got 1e-300'],
    [{ maxErrorRate: 1 }, 'analysis.maxErrorRate: an event may not make the judge more lenient than the defaults; at most 0.2, got 1'],
    [{ errorTolerance: 100 }, 'analysis.errorTolerance: an event may not make the judge more lenient than the defaults; at most 1.5, got 100'],
    [{ errorMargin: 0.5 }, 'analysis.errorMargin: '],
    [{ maxThrottleRate: 1 }, 'analysis.maxThrottleRate: '],
    [{ minRequests: 0 }, 'analysis.minRequests: '],
    [{ latencyPercentile: 99.9 }, 'analysis.latencyPercentile: '],
    [{ evaluationMinutes: 60 }, 'analysis.evaluationMinutes: '],
    [{ settleSeconds: 0 }, 'analysis.settleSeconds: '],
    [{ baselineMinutes: 1 }, 'analysis.baselineMinutes: '],
    [{ maxDurationMinutes: 60 }, 'analysis.maxDurationMinutes: an event may not make the judge more lenient than the defaults; at least 150, got 60'],
  ])('refuses an analysis that weakens the judge: %j', (analysis, message) => {
    expect(refusal({ ...base, analysis })).toContain(message);
  });

  it('refuses the whole judge switched off at once, naming the first weakened field', () => {
    expect(refusal({ ...base, analysis: { maxErrorRate: 1, errorTolerance: 100, alpha: 1e-300 } })).toMatch(/^analysis\.alpha: /);
  });

  it('accepts an analysis that only makes the judge stricter', () => {
    const stricter = { alpha: 0.05, maxErrorRate: 0.05, errorTolerance: 1.2, minRequests: 500, maxP99Ms: 800, customMetrics: [{ id: 'failed_checkouts', namespace: 'Shop', metricName: 'FailedCheckouts' }] };
    expect(() => check({ ...base, analysis: stricter })).not.toThrow();
  });

  it('refuses an event that would strand dead letters or accept FIFO risks for the owner', () => {
    expect(refusal({ ...base, redriveOnRollback: false })).toMatch(/^redriveOnRollback: /);
    expect(refusal({ ...base, allowFifo: true })).toMatch(/^allowFifo: /);
  });

  it('refuses a strategy tag Coalmine does not know, naming the tag', () => {
    expect(refusal(base, { ...optedIn, 'coalmine:strategy': 'Fastest' })).toMatch(/^tags: checkout's strategy tag names "Fastest"/);
  });

  it('lets through no event analysis, of any shape, that is more lenient than the defaults in any setting', () => {
    const defaults = analysisSchema.parse({});
    const analysis = fc.record(
      {
        alpha: fc.double({ min: 1e-300, max: 0.2, noNaN: true }),
        errorTolerance: fc.double({ min: 1, max: 100, noNaN: true }),
        errorMargin: fc.double({ min: 0, max: 1, noNaN: true }),
        maxErrorRate: fc.double({ min: 1e-6, max: 1, noNaN: true }),
        maxThrottleRate: fc.double({ min: 1e-6, max: 1, noNaN: true }),
        minRequests: fc.integer({ min: 0, max: 10_000 }),
        settleSeconds: fc.integer({ min: 0, max: 900 }),
        evaluationMinutes: fc.integer({ min: 1, max: 60 }),
        baselineMinutes: fc.integer({ min: 1, max: 1440 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(analysis, (given) => {
        let accepted = true;
        try {
          check({ ...base, analysis: given });
        } catch (error) {
          expect(error).toBeInstanceOf(EventNotAllowedError);
          accepted = false;
        }
        if (!accepted) return;
        const parsed = analysisSchema.parse(given);
        expect(parsed.alpha).toBeGreaterThanOrEqual(defaults.alpha);
        expect(parsed.errorTolerance).toBeLessThanOrEqual(defaults.errorTolerance);
        expect(parsed.errorMargin).toBeLessThanOrEqual(defaults.errorMargin);
        expect(parsed.maxErrorRate).toBeLessThanOrEqual(defaults.maxErrorRate);
        expect(parsed.maxThrottleRate).toBeLessThanOrEqual(defaults.maxThrottleRate);
        expect(parsed.minRequests).toBeGreaterThanOrEqual(defaults.minRequests);
        expect(parsed.settleSeconds).toBeGreaterThanOrEqual(defaults.settleSeconds);
        expect(parsed.evaluationMinutes).toBeLessThanOrEqual(defaults.evaluationMinutes);
      }),
    );
  });
});
