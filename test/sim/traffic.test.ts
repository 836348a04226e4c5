import { describe, expect, it } from 'vitest';
import { Random } from '../../src/sim/random.ts';
import { parseScenario, type Scenario } from '../../src/sim/scenario.ts';
import { createTraffic, excessFailures, expectedSlowFraction, stableLatencyPercentile, trueErrorRate } from '../../src/sim/traffic.ts';

function scenario(overrides: Record<string, unknown> = {}): Scenario {
  return parseScenario(
    {
      name: 'test',
      traffic: { requestsPerMinute: 1000 },
      stable: { errorRate: 0.01, latencyMs: { median: 80, p99: 400 } },
      candidate: { errorRate: 0.05, latencyMs: { median: 80, p99: 800 }, fromMinute: 10 },
      ...overrides,
    },
    'test',
  );
}

/** Sums a field over many minutes drawn with one rng. */
function simulate(s: Scenario, minutes: number, sinceShift: (m: number) => number | null, weight: number, thresholdMs?: number) {
  const traffic = createTraffic(s, 1);
  const rng = new Random(0);
  const totals = { requests: 0, stableInvocations: 0, candidateInvocations: 0, stableErrors: 0, candidateErrors: 0, candidateSlow: 0, stableSlow: 0 };
  for (let m = 0; m < minutes; m++) {
    rng.reseed(1, m);
    const minute = traffic.minute(rng, m, sinceShift(m), weight, thresholdMs === undefined ? {} : { slowThresholdMs: thresholdMs });
    totals.requests += minute.requests;
    totals.stableInvocations += minute.stable.invocations;
    totals.candidateInvocations += minute.candidate.invocations;
    totals.stableErrors += minute.stable.errors;
    totals.candidateErrors += minute.candidate.errors;
    totals.candidateSlow += minute.candidate.slow ?? 0;
    totals.stableSlow += minute.stable.slow ?? 0;
  }
  return totals;
}

describe('TrafficModel', () => {
  it('draws the same minute for the same seed, minute and weight', () => {
    const s = scenario();
    const a = createTraffic(s, 3).minute(Random.for(3, 12), 12, 2, 10, { slowThresholdMs: 400 });
    const b = createTraffic(s, 3).minute(Random.for(3, 12), 12, 2, 10, { slowThresholdMs: 400 });
    expect(a).toEqual(b);
  });

  it('splits requests between the versions in proportion to the weight', () => {
    const totals = simulate(scenario(), 500, () => 20, 25);
    const share = totals.candidateInvocations / totals.requests;
    // Binomial sd of the share over 500k requests is ~0.0006.
    expect(share).toBeGreaterThan(0.245);
    expect(share).toBeLessThan(0.255);
  });

  it('sends everything to stable before the first shift', () => {
    const totals = simulate(scenario(), 50, () => null, 0);
    expect(totals.candidateInvocations).toBe(0);
    expect(totals.stableInvocations).toBe(totals.requests);
  });

  it('keeps the candidate at stable behaviour until fromMinute, then switches', () => {
    const s = scenario();
    const before = simulate(s, 400, () => 5, 50);
    const after = simulate(s, 400, () => 10, 50);
    // 200k candidate invocations: 1% → ~2000 ± 45 errors, 5% → ~10000 ± 100.
    expect(before.candidateErrors / before.candidateInvocations).toBeCloseTo(0.01, 2);
    expect(after.candidateErrors / after.candidateInvocations).toBeCloseTo(0.05, 2);
    expect(trueErrorRate(s, 'candidate', 9)).toBe(0.01);
    expect(trueErrorRate(s, 'candidate', 10)).toBe(0.05);
    expect(trueErrorRate(s, 'candidate', null)).toBe(0.01);
  });

  it('counts slow requests at the log-normal tail probability above the threshold', () => {
    const s = scenario();
    const threshold = stableLatencyPercentile(s, 99);
    const totals = simulate(s, 400, () => 30, 50, threshold);
    expect(threshold).toBeCloseTo(400, 6);
    expect(totals.stableSlow / totals.stableInvocations).toBeCloseTo(0.01, 2);
    // Candidate's p99 is 800 with the same median: P(latency > 400) is well above 1%.
    const expected = expectedSlowFraction(s, 'candidate', 30, threshold);
    expect(expected).toBeGreaterThan(0.03);
    expect(Math.abs(totals.candidateSlow / totals.candidateInvocations - expected)).toBeLessThan(0.003);
  });

  it('reports a per-minute p99 that centres on the true p99, exact for small counts and approximate for large', () => {
    const s = scenario({ candidate: { fromMinute: 0 } });
    for (const rate of [60, 5000]) {
      const traffic = createTraffic(parseScenario({ ...s, traffic: { requestsPerMinute: rate } }, 'x'), 1);
      const rng = new Random(2);
      const logs: number[] = [];
      for (let m = 0; m < 2000; m++) logs.push(Math.log(traffic.minute(rng, m, null, 0).stable.p99Ms!));
      logs.sort((x, y) => x - y);
      const medianP99 = Math.exp(logs[1000]!);
      // Nearest-rank p99 of 60 values is the maximum: its median sits near the 98.9th percentile.
      expect(medianP99).toBeGreaterThan(300);
      expect(medianP99).toBeLessThan(500);
    }
  });

  it('follows the diurnal pattern and keeps bursty bursts per seed', () => {
    const diurnal = createTraffic(scenario({ traffic: { requestsPerMinute: 600, pattern: 'diurnal', amplitude: 0.5 } }), 1);
    expect(diurnal.requestsPerMinute(360)).toBeCloseTo(900, 6);
    expect(diurnal.requestsPerMinute(1080)).toBeCloseTo(300, 6);
    const bursty = scenario({ traffic: { requestsPerMinute: 100, pattern: 'bursty', amplitude: 4 } });
    const a = createTraffic(bursty, 5);
    const b = createTraffic(bursty, 5);
    const rates = Array.from({ length: 2000 }, (_, m) => a.requestsPerMinute(m));
    expect(rates).toEqual(Array.from({ length: 2000 }, (_, m) => b.requestsPerMinute(m)));
    const burstShare = rates.filter((r) => r === 400).length / rates.length;
    // On/off chain with start 1/20 and end 1/3: stationary share in bursts = (1/20)/(1/20 + 1/3) ≈ 0.13.
    expect(burstShare).toBeGreaterThan(0.08);
    expect(burstShare).toBeLessThan(0.2);
  });

  it('emits custom count metrics at their rate per invocation', () => {
    const s = scenario({ stable: { errorRate: 0.01, custom: { checkout_failures: { rate: 0.02 } } }, candidate: { custom: { checkout_failures: { rate: 0.06 } } } });
    const traffic = createTraffic(s, 1);
    const rng = new Random(4);
    let stable = 0;
    let candidate = 0;
    let stableInvocations = 0;
    let candidateInvocations = 0;
    for (let m = 0; m < 200; m++) {
      const minute = traffic.minute(rng, m, 0, 50);
      stable += minute.stable.custom!['checkout_failures']!;
      candidate += minute.candidate.custom!['checkout_failures']!;
      stableInvocations += minute.stable.invocations;
      candidateInvocations += minute.candidate.invocations;
    }
    expect(stable / stableInvocations).toBeCloseTo(0.02, 2);
    expect(candidate / candidateInvocations).toBeCloseTo(0.06, 2);
  });

  it('throttles the share of attempts the scenario says and does not count them as invocations', () => {
    const s = scenario({ candidate: { throttleRate: 0.2, fromMinute: 0 } });
    const traffic = createTraffic(s, 1);
    const rng = new Random(4);
    let throttles = 0;
    let invocations = 0;
    for (let m = 0; m < 100; m++) {
      const minute = traffic.minute(rng, m, 0, 50);
      throttles += minute.candidate.throttles;
      invocations += minute.candidate.invocations;
    }
    expect(throttles / (throttles + invocations)).toBeCloseTo(0.2, 1);
  });
});

describe('excessFailures', () => {
  it('counts candidate failures beyond the stable rate, never below zero', () => {
    expect(excessFailures(30, 1000, 0.01)).toBe(20);
    expect(excessFailures(5, 1000, 0.01)).toBe(0);
  });
});

describe('reserved concurrency', () => {
  const scenario = parseScenario(
    {
      name: 'reserved',
      traffic: { requestsPerMinute: 6000 },
      stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
      candidate: { latencyMs: { median: 96, p99: 400 } },
      account: { reservedConcurrency: 11 },
    },
    'reserved.json',
  );
  const minutes = (weight: number) => Array.from({ length: 30 }, (_, i) => createTraffic(scenario, 1).minute(new Random(0).reseed(1, i), i, 0, weight));
  const throttled = (weight: number) => {
    const drawn = minutes(weight);
    const throttles = drawn.reduce((sum, minute) => sum + minute.stable.throttles + minute.candidate.throttles, 0);
    return throttles / drawn.reduce((sum, minute) => sum + minute.requests, 0);
  };

  it('throttles nothing while what runs at once fits the reservation (stable: about 10 of 11)', () => {
    expect(throttled(0)).toBe(0);
  });

  it('throttles the share over it when the slower candidate takes all the traffic (about 11.6 of 11)', () => {
    expect(throttled(100)).toBeGreaterThan(0.03);
    expect(throttled(100)).toBeLessThan(0.08);
  });
});
