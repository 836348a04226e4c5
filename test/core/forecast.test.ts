import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateTraffic, loosestBar, planCanary, TRAFFIC_LADDERS, type TrafficEstimate } from '../../src/core/forecast.ts';
import { Schedule } from '../../src/core/schedule.ts';
import { promotionChanceAfter } from '../../src/core/judge/promotion.ts';
import { analysisSchema, type AnalysisRequest } from '../../src/core/judge/settings.ts';
import type { HourlyTraffic } from '../../src/core/ports.ts';
import { DEFAULT_API_STRATEGY, parseStrategy } from '../../src/core/strategy.ts';

/** A day of steady hourly traffic at this rate and error rate. */
function day(requestsPerMinute: number, errorRate: number): HourlyTraffic[] {
  return Array.from({ length: 24 }, (_, hour) => ({ start: `hour ${hour}`, invocations: requestsPerMinute * 60, errors: Math.round(requestsPerMinute * 60 * errorRate) }));
}

/** What Plan estimates from 15 steady baseline minutes and a steady day. */
function traffic(requestsPerMinute: number, errorRate: number): TrafficEstimate {
  const invocations = requestsPerMinute * 15;
  return estimateTraffic({ minutes: 15, invocations, errors: Math.round(invocations * errorRate), medianInvocationsPerMinute: requestsPerMinute }, day(requestsPerMinute, errorRate));
}

/**
 * What Plan estimates from a function whose traffic swings ±80% around `mean` through the day (as
 * the traffic grid's diurnal cells do; lowest at minute 1080), with 15 baseline minutes ending at
 * `minuteOfDay` and the day of hours before them. `flatDay`: the same baseline, with a day that ran
 * at the baseline's rate throughout (a function always that thin).
 */
function daily(mean: number, errorRate: number, minuteOfDay: number, flatDay = false): TrafficEstimate {
  const rate = (minute: number) => mean * (1 + 0.8 * Math.sin((2 * Math.PI * minute) / 1440));
  const baselineRate = rate(minuteOfDay - 7.5);
  const hours = Array.from({ length: 24 }, (_, i) => {
    const invocations = Math.round(60 * (flatDay ? baselineRate : rate(minuteOfDay - 15 - 60 * (24 - i) + 30)));
    return { start: `hour ${i}`, invocations, errors: Math.round(invocations * errorRate) };
  });
  const invocations = Math.round(15 * baselineRate);
  return estimateTraffic({ minutes: 15, invocations, errors: Math.round(invocations * errorRate), medianInvocationsPerMinute: baselineRate }, hours);
}
/** An hour past the day's low, on the way up: about 0.3 × the day's mean, rising. */
const RISING_FROM_THE_LOW = 1200;
/** Still falling towards the day's low. */
const FALLING_TO_THE_LOW = 1000;

/** The same estimate without the day's usual traffic: what Plan knew of a daily low before it read the day's mean. */
function hourOnly(estimate: TrafficEstimate): TrafficEstimate {
  const { usualPlanningRequestsPerMinute: _usual, ...hour } = estimate;
  return hour;
}

function planFor(estimate: TrafficEstimate, analysis: AnalysisRequest = {}) {
  return planCanary({ traffic: estimate, strategy: undefined, settings: analysisSchema.parse(analysis) });
}

function plan(requestsPerMinute: number, errorRate: number, analysis: AnalysisRequest = {}, strategy?: string) {
  return planCanary({ traffic: traffic(requestsPerMinute, errorRate), strategy: strategy === undefined ? undefined : parseStrategy(strategy), settings: analysisSchema.parse(analysis) });
}

describe('estimateTraffic', () => {
  it('takes stable’s rates from the baseline and the last hour when the day has nothing to add', () => {
    const estimate = estimateTraffic({ minutes: 15, invocations: 45_000, errors: 450, medianInvocationsPerMinute: 3000 }, []);
    expect(estimate.requestsPerMinute).toBe(3000);
    expect(estimate.errorRate).toBe(0.01);
    expect(estimate.fromHistory).toBe(false);
  });

  it('draws stable’s error rate from the day when the baseline holds too few errors', () => {
    const estimate = estimateTraffic({ minutes: 15, invocations: 300, errors: 0, medianInvocationsPerMinute: 20 }, day(20, 0.005));
    expect(estimate.fromHistory).toBe(true);
    expect(estimate.errorRate).toBeCloseTo(0.005, 3);
    expect(estimate.errorRateLower).toBeLessThan(estimate.errorRate);
    expect(estimate.errorRateUpper).toBeGreaterThan(estimate.errorRate);
  });

  it('plans on bursty traffic’s quiet rate, not on a burst the baseline happened to catch', () => {
    const estimate = estimateTraffic({ minutes: 15, invocations: 15 * 5 + 3 * 100, errors: 0, medianInvocationsPerMinute: 5 }, day(7, 0));
    expect(estimate.requestsPerMinute).toBeGreaterThan(7);
    expect(estimate.planningRequestsPerMinute).toBeLessThan(5.5);
  });

  it('times bursty traffic by what a typical canary meets: its quiet rate and half the bursts’ excess', () => {
    const estimate = estimateTraffic({ minutes: 15, invocations: 15 * 5 + 3 * 100, errors: 0, medianInvocationsPerMinute: 5 }, day(7, 0));
    expect(estimate.typicalRequestsPerMinute).toBeCloseTo((5.5 + estimate.requestsPerMinute) / 2, 6);
    const steady = traffic(600, 0.005);
    expect(steady.typicalRequestsPerMinute).toBe(steady.requestsPerMinute);
  });

  it('expects the traffic to rise as it did at this hour yesterday', () => {
    const hours = day(100, 0.01).map((hour, i) => ({ ...hour, invocations: i < 2 ? 9000 : i >= 22 ? 4000 : 6000 }));
    const estimate = estimateTraffic({ minutes: 15, invocations: 1000, errors: 10, medianInvocationsPerMinute: 66 }, hours);
    // Yesterday grew 18,000 / 8,000 over two hours; each window is carried from its centre (the
    // baseline's 8.5 minutes before the shift, the last hour's 46) to the canary's first 10 minutes.
    const slope = Math.log(18_000 / 8000) / 120;
    expect(estimate.requestsPerMinute).toBeCloseTo((1000 * Math.exp(slope * 18.5) + 4000 * Math.exp(slope * 56)) / 75, 6);
    // The plan's own headroom never counts on a rise.
    expect(estimate.planningRequestsPerMinute).toBeLessThan(67);
  });

  it('carries an hour that ended long before the baseline further', () => {
    const hours = day(100, 0.01).map((hour, i) => ({ ...hour, start: new Date(Date.UTC(2026, 0, 4, 8 + i)).toISOString(), invocations: i < 2 ? 9000 : i >= 22 ? 4000 : 6000 }));
    const baseline = { minutes: 15, invocations: 1000, errors: 10, medianInvocationsPerMinute: 66 };
    const atOnce = estimateTraffic(baseline, hours, '2026-01-05T08:00:00.000Z');
    const later = estimateTraffic(baseline, hours, '2026-01-05T08:45:00.000Z');
    expect(atOnce.requestsPerMinute).toBeCloseTo(estimateTraffic(baseline, hours).requestsPerMinute, 9);
    expect(later.requestsPerMinute).toBeGreaterThan(atOnce.requestsPerMinute * 1.1);
  });
});

describe('estimateTraffic at a daily low', () => {
  it('carries the day’s usual traffic when the hour is a lull in it, and traffic rises from here', () => {
    const estimate = daily(150, 0.005, RISING_FROM_THE_LOW);
    expect(estimate.planningRequestsPerMinute).toBeLessThan(60);
    expect(estimate.usualPlanningRequestsPerMinute).toBeGreaterThan(140);
    expect(estimate.usualPlanningRequestsPerMinute).toBeLessThan(150);
  });

  it('carries none where the day ran as the hour does, or where traffic is still falling', () => {
    expect(daily(150, 0.005, RISING_FROM_THE_LOW, true).usualPlanningRequestsPerMinute).toBeUndefined();
    expect(traffic(150, 0.005).usualPlanningRequestsPerMinute).toBeUndefined();
    expect(daily(150, 0.005, FALLING_TO_THE_LOW).usualPlanningRequestsPerMinute).toBeUndefined();
  });
});

describe('Schedule', () => {
  const schedule = new Schedule(DEFAULT_API_STRATEGY, 600);

  it.each([
    { requests: 0, minutes: 10 },
    { requests: 300, minutes: 10 },
    { requests: 1050, minutes: 10 },
    { requests: 1350, minutes: 11 },
    { requests: 4050, minutes: 20 },
  ])('serves $requests candidate requests by minute $minutes at 600 a minute on 10% → 25% → 50%', ({ requests, minutes }) => {
    expect(schedule.minutesFor(requests)).toBe(minutes);
  });

  it('has no end when there is no traffic', () => {
    expect(new Schedule(DEFAULT_API_STRATEGY, 0).minutesFor(100)).toBe(Infinity);
  });
});

describe('planCanary', () => {
  it('keeps today’s pace at 600 requests a minute, and spends it on a tighter bar than the default', () => {
    const planned = plan(600, 0.005);
    expect(planned.strategy).toEqual(DEFAULT_API_STRATEGY);
    expect(planned.forecast.promotionBar.choice).toBe('tightened');
    expect(planned.forecast.promotionBar.errorRate).toBeLessThan(planned.forecast.promotionBar.defaultErrorRate);
    expect(planned.forecast.minutesToPromote).toBeLessThanOrEqual(25);
    expect(planned.forecast.summary).toMatch(/^At ~600 requests a minute and 0\.50% errors, this canary promotes in about 2[0-5] minutes if the candidate's error rate is shown below 0\.[89]\d%; a 5× regression is rolled back in about \d+ minutes\.$/);
  });

  it('picks larger weights at 20 requests a minute, and states the looser bar it can show in an hour', () => {
    const planned = plan(20, 0.005);
    expect(planned.strategy.steps).toEqual(TRAFFIC_LADDERS[TRAFFIC_LADDERS.length - 1]!.steps);
    expect(planned.forecast.promotionBar.choice).toBe('loosened');
    expect(planned.forecast.promotionBar.errorRate).toBeGreaterThan(0.01);
    expect(planned.forecast.minutesToPromoteP95).not.toBeNull();
    expect(planned.forecast.minutesToPromoteP95!).toBeLessThanOrEqual(60);
    expect(planned.forecast.guarantee).toMatch(/looser than the default .*, which this traffic cannot show within 60 minutes/);
    expect(planned.forecast.guarantee).toMatch(/at most ~\d+ more failed requests an hour/);
  });

  it('asks each step for the exposure its interval brings, at most minRequests', () => {
    const planned = plan(5, 0.005);
    expect(planned.promotion.stepMinRequests.every((n) => n <= 100)).toBe(true);
    expect(planned.promotion.stepMinRequests[0]).toBeLessThan(10);
    expect(plan(3000, 0.005).promotion.stepMinRequests).toEqual([100, 100, 100]);
  });

  it('honours a named strategy, and says what it can prove', () => {
    const planned = plan(20, 0.005, {}, 'Canary10Percent5Minutes');
    expect(planned.strategy.name).toBe('Canary10Percent5Minutes');
    expect(planned.strategyChosen).toBe(false);
    expect(planned.forecast.summary).toMatch(/^At ~20 requests a minute/);
  });

  it('sets a refusal with the numbers when the request would rather refuse than loosen', () => {
    expect(plan(20, 0.005, { lowTraffic: 'refuse' }).refusal).toMatch(/^analysis\.lowTraffic: at ~20 requests a minute and 0\.50% errors, a candidate as good as stable cannot show the 0\.9\d% bar within the 90-minute budget .*the tightest bar it can show is \d\.\d\d%/);
    expect(plan(600, 0.005, { lowTraffic: 'refuse' }).refusal).toBeUndefined();
  });

  it('waits up to 90 minutes for the default bar, rather than refuse, when the request would rather refuse than loosen', () => {
    const loosened = plan(130, 0.005);
    expect(loosened.forecast.maxDurationMinutes).toBe(60);
    expect(loosened.forecast.promotionBar.choice).toBe('loosened');
    const kept = plan(130, 0.005, { lowTraffic: 'refuse' });
    expect(kept.refusal).toBeUndefined();
    expect(kept.forecast.promotionBar.choice).toBe('default');
    expect(kept.forecast.maxDurationMinutes).toBeGreaterThan(60);
    expect(kept.forecast.maxDurationMinutes).toBeLessThanOrEqual(90);
    expect(plan(130, 0.005, { lowTraffic: 'refuse', maxDurationMinutes: 60 }).refusal).toMatch(/within the 60-minute budget/);
  });

  it('says "~1 request a minute", not "~1 requests"', () => {
    expect(plan(1, 0.005).forecast.summary).toMatch(/^At ~1 request a minute and /);
  });

  it("gives a long named schedule the time it needs: CodeDeploy's Linear10PercentEvery10Minutes can promote", () => {
    const planned = plan(600, 0.005, {}, 'Linear10PercentEvery10Minutes');
    expect(planned.forecast.maxDurationMinutes).toBe(135);
    expect(planned.forecast.minutesToPromote).not.toBeNull();
    expect(planned.forecast.minutesToPromote!).toBeLessThanOrEqual(135);
  });

  it("keeps the final step's hold within a budget the request sets, however late a named schedule reaches it", () => {
    const planned = plan(600, 0.005, { maxDurationMinutes: 100 }, 'Linear10PercentEvery10Minutes');
    expect(planned.forecast.minutesToPromote).not.toBeNull();
    expect(planned.forecast.minutesToPromote!).toBeLessThanOrEqual(100);
  });

  it('tightens a long named schedule\'s bar only as far as 95% are promoted as the judge promotes: once the final weight has served its share', () => {
    const estimate = traffic(600, 0.005);
    const planned = plan(600, 0.005, {}, 'Linear10PercentEvery10Minutes');
    expect(planned.forecast.promotionBar.choice).toBe('tightened');
    // The budget's last minute is judged a minute before it ends; promotion waits for the final weight's share.
    const served = new Schedule(planned.strategy, estimate.planningRequestsPerMinute);
    const servedBy = planned.forecast.maxDurationMinutes - 1;
    const heldUntil = Math.min(served.requestsBy(servedBy), served.requestsBy(served.finalStart()) + planned.promotion.finalStepMinRequests);
    expect(promotionChanceAfter(planned.promotion, estimate.errorRateUpper, heldUntil, served.requestsBy(servedBy))).toBeGreaterThanOrEqual(0.95);
    expect(planned.forecast.promotedWithinBudget).toBeGreaterThanOrEqual(0.95);
  });

  it('tells the judge how many minutes the final weight is planned to take for its share, so a lean on the way knows what room the budget has', () => {
    const estimate = traffic(600, 0.005);
    const { promotion, forecast } = plan(600, 0.005, {}, 'Linear10PercentEvery10Minutes');
    // Nine 10-minute steps: the final one starts at minute 80, and the plan fits its share before the budget.
    expect(promotion.finalStepMinutes).toBeGreaterThanOrEqual(10);
    expect(80 + promotion.finalStepMinutes! + 1).toBeLessThanOrEqual(forecast.maxDurationMinutes);
    expect(promotion.finalStepMinRequests).toBeLessThanOrEqual(Math.ceil(0.9 * estimate.typicalRequestsPerMinute * promotion.finalStepMinutes!));
  });

  it('never loosens the bar so far that a gross regression could pass under it', () => {
    const planned = plan(5, 0.005);
    expect(planned.forecast.promotionBar.errorRate).toBeLessThanOrEqual(loosestBar(planned.forecast.stableErrorRate) + 1e-9);
  });

  it('says before the first shift when fewer than 95% of candidates as good as stable can show the bar in the budget', () => {
    const planned = plan(3, 0.005, { maxDurationMinutes: 60 });
    expect(planned.forecast.promotedWithinBudget).toBeLessThan(0.95);
    expect(planned.forecast.summary).toMatch(/ \(about \d+% of candidates as good as stable can show it within the 60-minute budget; the rest roll back as inconclusive\)/);
    expect(plan(600, 0.005).forecast.promotedWithinBudget).toBeGreaterThanOrEqual(0.95);
  });

  it('names a 2× regression that the bar it states would let through', () => {
    const planned = plan(20, 0.005);
    expect(planned.forecast.regressions[0]!.minutesToRollback).toBeNull();
    expect(planned.forecast.summary).toMatch(/; a 2× regression \(1\.00%\) is under that bar and may be promoted; a 5× regression /);
  });

  it('says so when no useful bar fits the budget', () => {
    const planned = plan(0.2, 0.005);
    expect(planned.forecast.promotionBar.choice).toBe('unreachable');
    expect(planned.forecast.minutesToPromote).toBeNull();
    expect(planned.forecast.summary).toMatch(/unlikely to show any useful bar within its 131-minute budget: expect it to roll back as inconclusive/);
    expect(planned.forecast.guarantee).toMatch(/no candidate is likely to show it within 131 minutes/);
  });

  it('never grows an unset budget past the longest the final step can be held: its interval and maxExtensionMinutes', () => {
    // 50% for 5 minutes, then 95% for at most 5 + 120: the look that judges minute 130 ends the canary
    // at minute 131 whatever the budget says.
    const planned = plan(0.2, 0.005);
    expect(planned.strategy.steps).toEqual([50, 95]);
    expect(planned.forecast.maxDurationMinutes).toBe(131);
    expect(plan(0.2, 0.005, { maxExtensionMinutes: 60 }).forecast.maxDurationMinutes).toBe(71);
  });

  it('says how many candidates as good as stable show the loosest bar, when a slow day may not', () => {
    const planned = plan(0.5, 0.02);
    expect(planned.forecast.promotionBar.choice).toBe('unreachable');
    const share = Math.round(planned.forecast.promotedWithinBudget * 100);
    expect(share).toBeGreaterThan(5);
    expect(planned.forecast.guarantee).toContain(`the loosest bar it states; at this traffic about ${share}% of candidates as good as stable show it within ${planned.forecast.maxDurationMinutes} minutes`);
  });

  it('takes an hour when the request sets no budget and the traffic can show a bar in it', () => {
    expect(plan(20, 0.005).forecast.maxDurationMinutes).toBe(60);
    expect(plan(600, 0.005).forecast.maxDurationMinutes).toBe(60);
  });

  it('takes up to 150 minutes, not a looser promise, where an hour cannot show even the loosest bar', () => {
    const inAnHour = plan(3, 0.005, { maxDurationMinutes: 60 });
    expect(inAnHour.forecast.promotedWithinBudget).toBeLessThan(0.95);
    const planned = plan(3, 0.005);
    expect(planned.forecast.maxDurationMinutes).toBeGreaterThan(60);
    expect(planned.forecast.maxDurationMinutes).toBeLessThanOrEqual(150);
    expect(planned.forecast.promotedWithinBudget).toBeGreaterThan(inAnHour.forecast.promotedWithinBudget);
    expect(planned.forecast.promotionBar.errorRate).toBeLessThanOrEqual(loosestBar(planned.forecast.stableErrorRate) * 1.0001);
  });

  it('holds to the budget the request sets, however thin the traffic', () => {
    expect(plan(3, 0.005, { maxDurationMinutes: 45 }).forecast.maxDurationMinutes).toBe(45);
    expect(plan(0.5, 0.005, { maxDurationMinutes: 60 }).forecast.maxDurationMinutes).toBe(60);
  });

  it('ends the final step’s hold a minute before a short budget, so that the look that counts it is within the budget', () => {
    // A minute's requests settle a minute after it ends and are judged at the next look.
    const { strategy, promotion, forecast } = plan(600, 0.005, { maxDurationMinutes: 15 });
    const finalStart = (strategy.steps.length - 1) * strategy.intervalMinutes;
    const finalPerMinute = (forecast.requestsPerMinute * strategy.steps.at(-1)!) / 100;

    expect(finalStart + promotion.finalStepMinRequests / finalPerMinute).toBeLessThanOrEqual(14.01);
    expect(forecast.minutesToPromote).toBeLessThanOrEqual(15);
  });

  it('asks the final step of a long schedule for no more than its interval and half its extension bring, so a step a little under the forecast still promotes', () => {
    // An SQS queue with a one-hour visibility timeout: four two-hour steps. Half the schedule (four
    // hours) at the final weight would need every minute of the step and its 120-minute extension.
    const longSteps = parseStrategy({ steps: [5, 10, 25, 50], intervalMinutes: 120 });
    const planned = planCanary({ traffic: traffic(60, 0.005), strategy: undefined, defaultStrategy: longSteps, settings: analysisSchema.parse({}) });
    const perMinuteAtFinal = (planned.forecast.requestsPerMinute * 50) / 100;

    expect(planned.promotion.finalStepMinRequests / perMinuteAtFinal).toBeLessThanOrEqual(120 + 60 + 1);
    const withoutExtension = planCanary({ traffic: traffic(60, 0.005), strategy: undefined, defaultStrategy: longSteps, settings: analysisSchema.parse({ maxExtensionMinutes: 0 }) });
    expect(withoutExtension.promotion.finalStepMinRequests / perMinuteAtFinal).toBeLessThanOrEqual(120 + 1);
  });

  it('says no candidate can be promoted when the budget ends before the final step has served and been judged', () => {
    // 10%, 25%, 50% for 5 minutes each: the final step has served its interval at minute 15, and its
    // last minute is judged at 16.
    const weights = { name: 'three steps', steps: [10, 25, 50], intervalMinutes: 5 };
    const tooShort = planCanary({ traffic: traffic(600, 0.005), strategy: weights, settings: analysisSchema.parse({ maxDurationMinutes: 15 }) });
    const justEnough = planCanary({ traffic: traffic(600, 0.005), strategy: weights, settings: analysisSchema.parse({ maxDurationMinutes: 16 }) });

    expect(tooShort.forecast.promotedWithinBudget).toBe(0);
    expect(tooShort.forecast.minutesToPromote).toBeNull();
    expect(justEnough.forecast.promotedWithinBudget).toBeGreaterThan(0);
  });

  it('waits out a daily low for the bar the function’s usual traffic shows, and says why', () => {
    const estimate = daily(150, 0.005, RISING_FROM_THE_LOW);
    const atTheLow = planFor(estimate);
    const alwaysThisThin = planFor(hourOnly(estimate));

    expect(alwaysThisThin.forecast.maxDurationMinutes).toBe(60);
    expect(atTheLow.forecast.maxDurationMinutes).toBeGreaterThan(100);
    expect(atTheLow.forecast.promotionBar.errorRate).toBeLessThan(alwaysThisThin.forecast.promotionBar.errorRate * 0.8);
    expect(atTheLow.forecast.guarantee).toMatch(/; traffic is at its daily low, so the budget grows from 60 to \d+ minutes for a tighter bar than this hour shows, nearer the one its usual traffic shows\)\.$/);
    // The budget is for the slowest canaries: a typical one still decides within the hour.
    expect(atTheLow.forecast.minutesToPromote).toBeLessThanOrEqual(60);
  });

  it('keeps a typical canary at a daily low within the hour even where stable never fails, and every canary takes as long', () => {
    const estimate = daily(60, 0, RISING_FROM_THE_LOW);
    const atTheLow = planFor(estimate);

    expect(atTheLow.forecast.promotionBar.errorRate).toBeLessThan(planFor(hourOnly(estimate)).forecast.promotionBar.errorRate);
    expect(atTheLow.forecast.minutesToPromote).toBeLessThanOrEqual(60);
  });

  it('keeps the hour’s plan at a low the traffic is still falling into, when the request sets a budget, or would rather refuse', () => {
    expect(planFor(daily(150, 0.005, FALLING_TO_THE_LOW)).forecast.maxDurationMinutes).toBe(60);
    const estimate = daily(150, 0.005, RISING_FROM_THE_LOW);
    expect(planFor(estimate, { maxDurationMinutes: 60 }).forecast).toEqual(planFor(hourOnly(estimate), { maxDurationMinutes: 60 }).forecast);
    expect(planFor(estimate, { lowTraffic: 'refuse' })).toEqual(planFor(hourOnly(estimate), { lowTraffic: 'refuse' }));
  });

  const rates = fc.constantFrom(0, 0.001, 0.005, 0.02, 0.05);
  const traffics = fc.double({ min: 2, max: 5000, noNaN: true });

  it('never gives more traffic a looser bar on the same weights (property)', () => {
    fc.assert(
      fc.property(traffics, traffics, rates, fc.constantFrom(...TRAFFIC_LADDERS), (a, b, rate, weights) => {
        const [low, high] = a < b ? [a, b] : [b, a];
        const settings = analysisSchema.parse({});
        const bar = (rpm: number) => planCanary({ traffic: { ...traffic(1, rate), requestsPerMinute: rpm, typicalRequestsPerMinute: rpm, planningRequestsPerMinute: rpm }, strategy: weights, settings }).forecast.promotionBar.errorRate;
        expect(bar(high)).toBeLessThanOrEqual(bar(low) * 1.01 + 1e-9);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps its promises inside the budget, the bar between stable and the loosest bar, and exposure within minRequests (property)', () => {
    fc.assert(
      fc.property(traffics, rates, fc.integer({ min: 10, max: 240 }), (rpm, rate, budget) => {
        const planned = planCanary({ traffic: traffic(rpm, rate), strategy: undefined, settings: analysisSchema.parse({ maxDurationMinutes: budget }) });
        const { forecast, promotion } = planned;
        if (forecast.minutesToPromote !== null) expect(forecast.minutesToPromote).toBeLessThanOrEqual(budget);
        expect(promotion.bar).toBe(forecast.promotionBar.errorRate);
        expect(promotion.bar).toBeGreaterThan(forecast.stableErrorRate);
        expect(promotion.alternative).toBeGreaterThan(0);
        expect(promotion.alternative).toBeLessThan(promotion.bar);
        expect(promotion.bar).toBeLessThanOrEqual(Math.max(forecast.promotionBar.defaultErrorRate, loosestBar(forecast.stableErrorRate)) * 1.001);
        expect(promotion.stepMinRequests.every((n) => n >= 0 && n <= 100)).toBe(true);
        expect(promotion.finalStepMinRequests).toBeGreaterThan(0);
      }),
      { numRuns: 80 },
    );
  });
});

describe('planCanary with Coalmine’s own strategy for the trigger', () => {
  const eventDefault = { name: 'Coalmine event default', steps: [5, 10, 25, 50], intervalMinutes: 30 };

  it('plans on it, as chosen by Coalmine, with its schedule and half as long again for a budget', () => {
    const planned = planCanary({ traffic: traffic(60, 0.005), strategy: undefined, defaultStrategy: eventDefault, settings: analysisSchema.parse({}) });

    expect(planned.strategy).toEqual(eventDefault);
    expect(planned.strategyChosen).toBe(true);
    expect(planned.forecast.maxDurationMinutes).toBe(180);
  });

  it('gives way to a strategy the request names', () => {
    const planned = planCanary({ traffic: traffic(60, 0.005), strategy: parseStrategy('Canary10Percent5Minutes'), defaultStrategy: eventDefault, settings: analysisSchema.parse({}) });

    expect(planned.strategy.name).toBe('Canary10Percent5Minutes');
    expect(planned.forecast.maxDurationMinutes).toBe(60);
  });
});

describe('the regressions the forecast names', () => {
  it('says "every request failing" where a multiple of a high stable rate would pass 100%', () => {
    const planned = planCanary({ traffic: traffic(600, 0.4), strategy: undefined, settings: analysisSchema.parse({}) });
    expect(planned.forecast.regressions.map((r) => [r.label, r.errorRate])).toEqual([
      ['2×', 0.8],
      ['5× (every request failing)', 1],
    ]);
  });
});
