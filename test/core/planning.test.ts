import { describe, expect, it } from 'vitest';
import { InsufficientTrafficError, PlanLimitError } from '../../src/core/errors.ts';
import { estimateTraffic, type TrafficEstimate } from '../../src/core/forecast.ts';
import { analysisSchema } from '../../src/core/judge/settings.ts';
import { planWithinLimits } from '../../src/core/planning.ts';
import { parseStrategy } from '../../src/core/strategy.ts';

/** What Plan estimates from 15 steady baseline minutes and a steady day at this rate (batches, for a queue) and error rate. */
function traffic(requestsPerMinute: number, errorRate: number): TrafficEstimate {
  const invocations = requestsPerMinute * 15;
  const day = Array.from({ length: 24 }, (_, hour) => ({ start: `hour ${hour}`, invocations: requestsPerMinute * 60, errors: Math.round(requestsPerMinute * 60 * errorRate) }));
  return estimateTraffic({ minutes: 15, invocations, errors: Math.round(invocations * errorRate), medianInvocationsPerMinute: requestsPerMinute }, day);
}

describe('planWithinLimits', () => {
  const settings = analysisSchema.parse({});
  const queue = (visibilityTimeoutSeconds: number) => ({ visibilityTimeoutSeconds, batchingWindowSeconds: 0, queueName: 'orders' });

  it('sizes an SQS canary’s steps by the queue’s retry cycle: two of 15 minutes, four steps, a 180-minute budget', () => {
    const { planning, analysis, warnings } = planWithinLimits({ traffic: traffic(60, 0.005), named: undefined, settings, queue: queue(900) });

    expect(planning.strategy).toMatchObject({ steps: [5, 10, 25, 50], intervalMinutes: 30 });
    expect(analysis).toEqual({ ...settings, maxDurationMinutes: 180 });
    expect(warnings).toEqual([]);
  });

  it('fits Coalmine’s own schedule to the limits, plans on the fitted one, and says what it changed', () => {
    const { planning, analysis, warnings } = planWithinLimits({ traffic: traffic(60, 0.005), named: undefined, settings, queue: queue(43_200) });

    expect(planning.strategy).toMatchObject({ steps: [5, 50], intervalMinutes: 720 });
    expect(analysis.maxDurationMinutes).toBe(1.5 * 2 * 720);
    expect(warnings).toEqual([expect.stringMatching(/drops its 10% and 25% steps/), expect.stringMatching(/one retry cycle of the queue \(720 min\)/)]);
  });

  it('keeps the error guardrail where it is when stable fails well under it', () => {
    const { analysis, warnings } = planWithinLimits({ traffic: traffic(600, 0.02), named: undefined, settings });

    expect(analysis.maxErrorRate).toBe(0.2);
    expect(warnings).toEqual([]);
  });

  it('raises the error guardrail over a stable that already fails nearly as often, and says so, so a candidate as good as stable is not rolled back at once', () => {
    const { analysis, warnings } = planWithinLimits({ traffic: traffic(600, 0.4), named: undefined, settings });

    expect(analysis.maxErrorRate).toBeGreaterThan(0.5);
    expect(analysis.maxErrorRate).toBeLessThan(0.52);
    expect(warnings).toEqual([expect.stringMatching(/^analysis\.maxErrorRate: stable already fails 40\.00% of requests, so the error guardrail rolls back a candidate shown above 50\.\d\d% \(a gross regression of stable's rate\), not 20\.00%$/)]);
  });

  it('refuses a named schedule that does not fit, as it is', () => {
    const named = parseStrategy({ steps: [5, 10, 25, 50], intervalMinutes: 1440 });

    expect(() => planWithinLimits({ traffic: traffic(60, 0.005), named, settings, queue: queue(43_200) })).toThrow(PlanLimitError);
    expect(() => planWithinLimits({ traffic: traffic(60, 0.005), named, settings, queue: queue(43_200) })).toThrow(/^strategy: 4 steps × \(1440 min \+ up to 120 min of extension\) can take .* past the execution's 48 h; use fewer or shorter steps/);
  });

  it('refuses as planCanary would when the request would rather refuse than loosen the bar', () => {
    expect(() => planWithinLimits({ traffic: traffic(20, 0.005), named: undefined, settings: analysisSchema.parse({ lowTraffic: 'refuse' }) })).toThrow(InsufficientTrafficError);
  });

  it('warns about the steps in which a quiet queue gives the candidate too few batches to show anything', () => {
    const { warnings } = planWithinLimits({ traffic: traffic(2, 0), named: undefined, settings, queue: queue(30) });

    expect(warnings).toEqual([expect.stringMatching(/^the 5%, 10% and 25% steps give the candidate about 0\.5, 1 and 2\.5 batches of queue orders \(~2 batches a minute, 5 min a step\)/)]);
  });
});
