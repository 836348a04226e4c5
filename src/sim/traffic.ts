/**
 * The traffic model: what one minute of a scenario looks like, per version, as CloudWatch would
 * report it. Pure given a random stream: the same scenario, seed, minute and weight give the same
 * figures. The simulated account (src/sim/account) and the benchmark (src/bench) both draw from it.
 *
 * The model, per minute m (absolute, from the start of the simulation):
 * - requests ~ Poisson(rate(m)); rate follows `traffic.pattern`:
 *   steady: r; diurnal: r·(1 + amplitude·sin(2π(m + offsetMinutes)/1440)), floored at 0;
 *   bursty: an on/off Markov chain: outside a burst one starts with probability
 *   1/burstEveryMinutes each minute, a burst ends with probability 1/burstMinutes each minute
 *   (geometric lengths, mean burstMinutes), and during a burst the rate is amplitude·r.
 * - the alias routes each request independently: candidate's share ~ Binomial(requests, weight/100).
 * - per version: throttles ~ Binomial(routed, throttleRate) (not invoked), errors ~
 *   Binomial(invocations, errorRate), slow ~ Binomial(invocations, P(latency > threshold)), with
 *   latency log-normal: median m, σ = ln(p99/m)/z₀.₉₉ (z₀.₉₉ = 2.3263).
 * - the minute's p99 is the nearest-rank 99th percentile of that minute's latencies: drawn exactly
 *   from the top order statistics while they are few (n ≤ 800), else from the order statistic's
 *   asymptotic normal law on the z-scale (sd = √(p(1−p)/n)/φ(z_p)).
 * - the candidate behaves as stable until `candidate.fromMinute` minutes after the first shift.
 *
 * @example
 * const traffic = createTraffic(scenario, seed);
 * const rng = new Random(0);
 * const minute = traffic.minute(rng.reseed(seed, 17), 17, 2, 10, { slowThresholdMs: 400 });
 * minute.candidate.errors; // candidate's errors in minute 17, two minutes after a 10% shift
 */
import type { VersionMinute } from '../core/ports.ts';
import { accountSettings } from './account/settings.ts';
import { mixSeed, normalQuantile, normalSurvival, Random } from './random.ts';
import type { CustomMetricBehaviour, Scenario, VersionBehaviour } from './scenario.ts';

export type VersionName = 'stable' | 'candidate';

/** One version's minute as drawn: CloudWatch's figures, and how many of its invocations timed out. */
export interface DrawnVersionMinute extends VersionMinute {
  /** Invocations that ran until the function's timeout (counted in invocations, errors and slow); absent when none can. */
  timedOut?: number;
}

/** One minute of both versions' figures. */
export interface TrafficMinute {
  /** Requests that reached the alias this minute (before routing and throttling). */
  requests: number;
  stable: DrawnVersionMinute;
  candidate: DrawnVersionMinute;
}

export interface MinuteOptions {
  /** Count invocations slower than this into `slow` (omit to leave `slow` out). */
  slowThresholdMs?: number;
}

/** The random stream key of the alias' hourly history (apart from every minute's). */
const HISTORY_STREAM = 0x686f7572;

/** z of the 99th percentile of the standard normal. */
const Z99 = normalQuantile(0.99);
/** Top order statistics drawn exactly up to this many; beyond it the asymptotic law is exact enough. */
const MAX_EXACT_ORDER_STATISTICS = 8;

export interface LatencyLaw {
  mu: number;
  sigma: number;
}

export function latencyLaw(latencyMs: { median: number; p99: number }): LatencyLaw {
  return { mu: Math.log(latencyMs.median), sigma: Math.log(latencyMs.p99 / latencyMs.median) / Z99 };
}

/** P(latency > thresholdMs) for a log-normal latency. */
function tailProbability(law: LatencyLaw, thresholdMs: number): number {
  if (!(thresholdMs > 0)) return 1;
  return normalSurvival((Math.log(thresholdMs) - law.mu) / law.sigma);
}

/** True when the candidate behaves as described (not as stable) at this time. */
function candidateActive(scenario: Scenario, minutesSinceShift: number | null): boolean {
  return minutesSinceShift !== null && minutesSinceShift >= scenario.candidate.fromMinute;
}

/** How a version behaves at a time: the candidate behaves as stable before `fromMinute`. */
export function behaviourAt(scenario: Scenario, version: VersionName, minutesSinceShift: number | null): VersionBehaviour {
  return version === 'candidate' && candidateActive(scenario, minutesSinceShift) ? scenario.candidate : scenario.stable;
}

/** The true error rate of a version at a time (minutes since the first shift, null before). */
export function trueErrorRate(scenario: Scenario, version: VersionName, minutesSinceShift: number | null): number {
  const { errorRate, timeoutRate } = behaviourAt(scenario, version, minutesSinceShift);
  return timeoutRate + (1 - timeoutRate) * errorRate;
}

/** The true share of a version's invocations slower than `thresholdMs` at a time. */
export function expectedSlowFraction(scenario: Scenario, version: VersionName, minutesSinceShift: number | null, thresholdMs: number): number {
  return tailProbability(latencyLaw(behaviourAt(scenario, version, minutesSinceShift).latencyMs), thresholdMs);
}

/**
 * The stable version's true latency at a percentile (e.g. 99): the baseline threshold above which
 * a request counts as slow.
 *
 * @example
 * stableLatencyPercentile(scenario, 99); // = scenario.stable.latencyMs.p99
 */
export function stableLatencyPercentile(scenario: Scenario, percentile: number): number {
  const law = latencyLaw(scenario.stable.latencyMs);
  return Math.exp(law.mu + law.sigma * normalQuantile(percentile / 100));
}

/**
 * Failed requests served by the candidate beyond what the stable version's true error rate would
 * have failed on the same requests, floored at 0 (docs/contract.md §1 `excessFailures`).
 * Pass the totals over the whole run (until the horizon).
 */
export function excessFailures(candidateErrors: number, candidateInvocations: number, stableErrorRate: number): number {
  return Math.max(0, candidateErrors - candidateInvocations * stableErrorRate);
}

/** A scenario's traffic for one seed (the seed fixes the burst process; draws come from the rng passed in). */
export class TrafficModel {
  readonly scenario: Scenario;
  private readonly stableLaw: LatencyLaw;
  private readonly candidateLaw: LatencyLaw;
  private readonly burstRandom: Random;
  /** bursty: whether minute i is in a burst, extended lazily (Markov chain needs history). */
  private readonly burstStates: boolean[] = [];
  private readonly slowTails = new Map<number, [number, number]>();
  /** The function's reserved concurrency (`account.reservedConcurrency`): what runs beyond it, Lambda throttles. */
  private readonly reservedConcurrency: number | undefined;

  constructor(scenario: Scenario, seed: number) {
    this.scenario = scenario;
    this.reservedConcurrency = accountSettings(scenario).reservedConcurrency;
    this.stableLaw = latencyLaw(scenario.stable.latencyMs);
    this.candidateLaw = latencyLaw(scenario.candidate.latencyMs);
    this.burstRandom = new Random(mixSeed(seed, 0x62757273));
  }

  /** Expected requests at the alias in an absolute minute (the Poisson mean). */
  requestsPerMinute(minute: number): number {
    const traffic = this.scenario.traffic;
    if (traffic === undefined) return this.scenario.queue?.messagesPerMinute ?? 0;
    const rate = traffic.requestsPerMinute;
    switch (traffic.pattern) {
      case 'steady':
        return rate;
      case 'diurnal':
        return Math.max(0, rate * (1 + traffic.amplitude * Math.sin((2 * Math.PI * (minute + traffic.offsetMinutes)) / 1440)));
      case 'bursty': {
        const multiplier = traffic.amplitude > 0 ? traffic.amplitude : 1;
        return this.inBurst(minute) ? rate * multiplier : rate;
      }
    }
  }

  /** Whether an absolute minute falls in a burst (bursty pattern only). */
  inBurst(minute: number): boolean {
    const traffic = this.scenario.traffic;
    if (traffic === undefined || traffic.pattern !== 'bursty') return false;
    const index = Math.max(0, Math.floor(minute));
    const start = 1 / traffic.burstEveryMinutes;
    const end = 1 / traffic.burstMinutes;
    while (this.burstStates.length <= index) {
      const previous = this.burstStates.length === 0 ? false : this.burstStates[this.burstStates.length - 1]!;
      const u = this.burstRandom.uniform();
      this.burstStates.push(previous ? u >= end : u < start);
    }
    return this.burstStates[index]!;
  }

  trueErrorRate(version: VersionName, minutesSinceShift: number | null): number {
    return trueErrorRate(this.scenario, version, minutesSinceShift);
  }

  /** A version's true mean duration at a time: the log-normal's mean, exp(μ + σ²/2). */
  meanDurationMs(version: VersionName, minutesSinceShift: number | null): number {
    const law = version === 'candidate' && candidateActive(this.scenario, minutesSinceShift) ? this.candidateLaw : this.stableLaw;
    return Math.exp(law.mu + (law.sigma * law.sigma) / 2);
  }

  /** A version's cold starts at a time: the share of invocations that start an environment, and the median init duration. */
  coldStarts(version: VersionName, minutesSinceShift: number | null): { rate: number; initDurationMs: number } {
    const behaviour = behaviourAt(this.scenario, version, minutesSinceShift);
    return { rate: behaviour.coldStartRate, initDurationMs: behaviour.initDurationMs };
  }

  expectedSlowFraction(version: VersionName, minutesSinceShift: number | null, thresholdMs: number): number {
    return this.tails(thresholdMs)[version === 'candidate' && candidateActive(this.scenario, minutesSinceShift) ? 1 : 0];
  }

  /**
   * Draws one minute. `minute` is absolute (it drives the traffic pattern), `minutesSinceShift`
   * is null before the first shift, `weightPercent` is the candidate's share of the alias.
   */
  minute(rng: Random, minute: number, minutesSinceShift: number | null, weightPercent: number, options: MinuteOptions = {}): TrafficMinute {
    const requests = rng.poisson(this.requestsPerMinute(minute));
    const share = Math.min(100, Math.max(0, weightPercent)) / 100;
    const toCandidate = rng.binomial(requests, share);
    const active = candidateActive(this.scenario, minutesSinceShift);
    const stable = this.version(rng, requests - toCandidate, this.scenario.stable, this.stableLaw, 0, options);
    const candidate = active
      ? this.version(rng, toCandidate, this.scenario.candidate, this.candidateLaw, 1, options)
      : this.version(rng, toCandidate, this.scenario.stable, this.stableLaw, 0, options);
    if (this.reservedConcurrency !== undefined) this.throttleOverReserved(this.reservedConcurrency, stable, candidate, minutesSinceShift);
    return { requests, stable, candidate };
  }

  /**
   * Reserved concurrency: when the minute's invocations would run more executions at once than the
   * reservation (Little's law on each version's mean duration), the share over it is throttled,
   * from both versions alike. Deterministic, so every other figure keeps its random draws.
   */
  private throttleOverReserved(reserved: number, stable: DrawnVersionMinute, candidate: DrawnVersionMinute, minutesSinceShift: number | null): void {
    const needed = (stable.invocations * this.meanDurationMs('stable', minutesSinceShift) + candidate.invocations * this.meanDurationMs('candidate', minutesSinceShift)) / 60_000;
    if (!(needed > reserved)) return;
    const kept = reserved / needed;
    for (const side of [stable, candidate]) {
      const invocations = Math.floor(side.invocations * kept);
      side.throttles += side.invocations - invocations;
      side.errors = Math.min(invocations, Math.round(side.errors * kept));
      if (side.slow !== undefined) side.slow = Math.round(side.slow * kept);
      if (side.timedOut !== undefined) side.timedOut = Math.min(side.errors, Math.round(side.timedOut * kept));
      side.invocations = invocations;
    }
  }

  /**
   * The alias' traffic by hour over the `hours` hours that end at absolute minute `end` (oldest first),
   * as CloudWatch's hourly sums would show it before a canary: stable only. Bursty traffic is drawn at
   * its long-run mean rate (a burst's share of minutes is burstMinutes / (burstMinutes + burstEveryMinutes)).
   */
  hourlyHistory(rng: Random, end: number, hours: number): Array<{ invocations: number; errors: number }> {
    const traffic = this.scenario.traffic;
    const behaviour = this.scenario.stable;
    const out: Array<{ invocations: number; errors: number }> = [];
    for (let h = hours; h >= 1; h--) {
      let expected = 0;
      for (let minute = end - 60 * h; minute < end - 60 * (h - 1); minute++) {
        if (traffic?.pattern === 'bursty') {
          const share = traffic.burstMinutes / (traffic.burstMinutes + traffic.burstEveryMinutes);
          expected += traffic.requestsPerMinute * (1 + share * ((traffic.amplitude > 0 ? traffic.amplitude : 1) - 1));
        } else {
          expected += this.requestsPerMinute(minute);
        }
      }
      const routed = rng.poisson(expected);
      const invocations = routed - (behaviour.throttleRate > 0 ? rng.binomial(routed, behaviour.throttleRate) : 0);
      // Whole hours long past: every time-out has arrived, and counts as the error it is.
      out.push({ invocations, errors: rng.binomial(invocations, trueErrorRate(this.scenario, 'stable', null)) });
    }
    return out;
  }

  /** The hourly history Plan reads for this seed (`hourlyHistory` on the seed's own stream for it). */
  planHistory(seed: number, end: number, hours: number): Array<{ invocations: number; errors: number }> {
    return this.hourlyHistory(Random.for(seed, HISTORY_STREAM), end, hours);
  }

  private tails(thresholdMs: number): [number, number] {
    let tails = this.slowTails.get(thresholdMs);
    if (tails === undefined) {
      tails = [tailProbability(this.stableLaw, thresholdMs), tailProbability(this.candidateLaw, thresholdMs)];
      this.slowTails.set(thresholdMs, tails);
    }
    return tails;
  }

  private version(rng: Random, routed: number, behaviour: VersionBehaviour, law: LatencyLaw, side: 0 | 1, options: MinuteOptions): DrawnVersionMinute {
    const throttles = behaviour.throttleRate > 0 ? rng.binomial(routed, behaviour.throttleRate) : 0;
    const invocations = routed - throttles;
    // Timed-out invocations fail, and are slower than any threshold; drawn only when some can time out.
    const timedOut = behaviour.timeoutRate > 0 ? rng.binomial(invocations, behaviour.timeoutRate) : 0;
    const errors = timedOut + rng.binomial(invocations - timedOut, behaviour.errorRate);
    const result: DrawnVersionMinute = { invocations, errors, throttles };
    if (invocations > 0) result.p99Ms = sampleP99(rng, law, invocations);
    if (options.slowThresholdMs !== undefined) result.slow = timedOut + rng.binomial(invocations - timedOut, this.tails(options.slowThresholdMs)[side]);
    if (behaviour.timeoutRate > 0) result.timedOut = timedOut;
    const ids = Object.keys(behaviour.custom);
    if (ids.length > 0) {
      const custom: Record<string, number> = {};
      for (const id of ids) custom[id] = drawCustom(rng, behaviour.custom[id]!, invocations);
      result.custom = custom;
    }
    return result;
  }
}

/** One minute's value of a custom metric: a count (events per invocation) or a gauge. */
function drawCustom(rng: Random, behaviour: CustomMetricBehaviour, invocations: number): number {
  if ('rate' in behaviour) {
    return behaviour.rate <= 1 ? rng.binomial(invocations, behaviour.rate) : rng.poisson(invocations * behaviour.rate);
  }
  return behaviour.mean + behaviour.sd * rng.normal();
}

/**
 * The nearest-rank 99th percentile of n log-normal latencies. Exactly, from the top order
 * statistics of n uniforms (drawn from the smallest upper-tail probability inwards, so no precision
 * is lost near 1), while there are few to draw; else from the asymptotic normal law of the sample
 * quantile on the z-scale.
 */
export function sampleP99(rng: Random, law: LatencyLaw, n: number): number {
  const rank = Math.ceil(0.99 * n);
  const fromTop = n - rank + 1;
  let z: number;
  if (fromTop <= MAX_EXACT_ORDER_STATISTICS) {
    // v = upper-tail probability of the k-th largest: the k-th smallest of n uniforms.
    let v = 0;
    for (let k = 0; k < fromTop; k++) {
      const remaining = n - k;
      v += (1 - v) * -Math.expm1(Math.log(rng.uniform()) / remaining);
    }
    z = -normalQuantile(v);
  } else {
    const density = Math.exp(-0.5 * Z99 * Z99) / Math.sqrt(2 * Math.PI);
    z = Z99 + (Math.sqrt((0.99 * 0.01) / n) / density) * rng.normal();
  }
  return Math.exp(law.mu + law.sigma * z);
}

/**
 * A percentile (e.g. 99) of n log-normal latencies pooled over a period, as CloudWatch reports it:
 * the true percentile plus the sample quantile's asymptotic noise on the z-scale (n large).
 */
export function samplePercentile(rng: Random, law: LatencyLaw, n: number, percentile: number): number {
  const p = percentile / 100;
  const zp = normalQuantile(p);
  if (!(n > 0)) return Math.exp(law.mu + law.sigma * zp);
  const density = Math.exp(-0.5 * zp * zp) / Math.sqrt(2 * Math.PI);
  return Math.exp(law.mu + law.sigma * (zp + (Math.sqrt((p * (1 - p)) / n) / density) * rng.normal()));
}

/** Shorthand for `new TrafficModel(scenario, seed)`. */
export function createTraffic(scenario: Scenario, seed: number): TrafficModel {
  return new TrafficModel(scenario, seed);
}
