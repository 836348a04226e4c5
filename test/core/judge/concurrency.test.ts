import { describe, expect, it } from 'vitest';
import { concurrencyNeeded, readConcurrencyLimit } from '../../../src/core/concurrency.ts';
import { AccessDeniedError } from '../../../src/core/errors.ts';
import { assess } from '../../../src/core/judge/index.ts';
import { analysisSchema } from '../../../src/core/judge/settings.ts';
import type { JudgeInput } from '../../../src/core/judge/types.ts';
import type { MinuteObservation } from '../../../src/core/ports.ts';

/** One minute at 6,000 requests, 10% to the candidate, each version at its mean duration. */
function minute(i: number, candidateMeanMs: number, stableMeanMs = 100): MinuteObservation {
  return {
    minute: new Date(Date.UTC(2026, 0, 5, 9, i)).toISOString(),
    stable: { invocations: 5400, errors: 27, throttles: 0, averageMs: stableMeanMs },
    candidate: { invocations: 600, errors: 3, throttles: 0, averageMs: candidateMeanMs },
  };
}

function input(candidateMeanMs: number, isFinalStep: boolean, limit = 11, stableMeanMs = 100): JudgeInput {
  return {
    memory: undefined,
    window: { minutes: [minute(0, candidateMeanMs, stableMeanMs), minute(1, candidateMeanMs, stableMeanMs)], failures: [] },
    baseline: { minutes: 15, invocations: 90_000, errors: 450 },
    context: { trigger: 'api', stepIndex: isFinalStep ? 2 : 0, stepCount: 3, weight: isFinalStep ? 50 : 10, isFinalStep, minutesInStep: 2, concurrency: { limit, source: 'reserved' } },
    settings: analysisSchema.parse({}),
  };
}

const concurrency = (value: JudgeInput) => assess(value).checks!.find((check) => check.name === 'concurrency')!;

describe('the concurrency forecast', () => {
  it('is Little’s law: requests a second × mean duration in seconds', () => {
    expect(concurrencyNeeded(6000, 120)).toBeCloseTo(12);
  });

  it('holds on the final step a candidate that would need more than the reserved concurrency, with the figures', () => {
    const check = concurrency(input(120, true));

    expect(check.phase).toBe('inconclusive');
    expect(check.summary).toBe("holding before promotion: at 100% the candidate would need about 12 concurrent executions (6,000 requests a minute at its busiest × 120 ms), over the function's reserved concurrency of 11");
    expect(check.figures).toMatchObject({ concurrencyAt100: 12, concurrencyLimit: 11 });
    expect(assess(input(120, true)).phase).toBe('inconclusive');
  });

  it('says so before the final step without holding the canary there', () => {
    const check = concurrency(input(120, false));

    expect(check.phase).toBe('pass');
    expect(check.summary).toMatch(/over the function's reserved concurrency of 11: promotion will hold$/);
  });

  it('does not hold a candidate that needs what stable needs when stable is already over the limit: the function throttles at its peak whichever version runs', () => {
    // Stable at 130 ms needs 13 of the 11 reserved; the candidate at 135 ms, 13.5.
    const check = concurrency(input(135, true, 11, 130));

    expect(check.phase).toBe('pass');
    expect(check.summary).toMatch(/over the function's reserved concurrency of 11; stable needs about 13 at that traffic, so the function throttles at its peak whichever version runs/);
    expect(check.figures).toMatchObject({ concurrencyAt100: 13.5, stableConcurrencyAt100: 13 });
  });

  it('still holds a candidate over the limit that needs more than stable by more than the cost tolerance', () => {
    // Stable needs 13 (over 11); the candidate at 200 ms needs 20, more than 1.25 × 13.
    expect(concurrency(input(200, true, 11, 130)).phase).toBe('inconclusive');
  });

  it('passes a candidate that fits', () => {
    expect(concurrency(input(100, true))).toMatchObject({ phase: 'pass', summary: "at 100% the candidate would need about 10 concurrent executions (6,000 requests a minute at its busiest × 100 ms) of the function's reserved concurrency of 11" });
  });
});

describe('the concurrency limit Plan reads', () => {
  it('is the reserved concurrency, else the account’s unreserved pool', async () => {
    expect(await readConcurrencyLimit({ getConcurrency: async () => ({ reserved: 11, accountUnreserved: 900 }) }, 'checkout')).toEqual({ limit: { limit: 11, source: 'reserved' }, warnings: [] });
    expect(await readConcurrencyLimit({ getConcurrency: async () => ({ accountUnreserved: 900 }) }, 'checkout')).toEqual({ limit: { limit: 900, source: 'account' }, warnings: [] });
  });

  it('is a warning, not a refusal, when it may not be read', async () => {
    const read = await readConcurrencyLimit({ getConcurrency: async () => { throw new AccessDeniedError('not authorized to perform: lambda:GetFunctionConcurrency'); } }, 'checkout');

    expect(read).toEqual({ warnings: ['concurrency at 100% not forecast: not authorized to perform: lambda:GetFunctionConcurrency'] });
  });
});
