/**
 * The seam between the simulated account and the models that make its traffic: the API traffic
 * model (src/sim/traffic.ts) and the SQS queue model (src/sim/queue). The account asks a source for
 * each minute; the source knows how each version behaved in it.
 */
import type { QueueInspector, QueueMinute } from '../core/ports.ts';
import { apiBaselineLatencyMs } from './baseline.ts';
import type { QueueAccounting } from './queue/records.ts';
import { Random } from './random.ts';
import type { Scenario } from './scenario.ts';
import { TrafficModel, type DrawnVersionMinute, type VersionName } from './traffic.ts';

/** What one source of traffic gives for one minute: each side's figures, and the queue's. */
export interface SourceMinute {
  stable: DrawnVersionMinute;
  candidate: DrawnVersionMinute;
  queue?: QueueMinute;
}

export interface MinuteContext {
  /** A random stream seeded for this minute alone (seed, minute), so minutes do not depend on query order. */
  rng: Random;
  /** Minutes from the start of the simulation (the first warm-up minute is 0). */
  index: number;
  start: Date;
  /** Whole minutes since the first shift; null before it. */
  minutesSinceShift: number | null;
  /** Candidate's share of the alias over this minute, percent. */
  weightPercent: number;
}

/**
 * Where a minute's traffic comes from: the API traffic model (requests) or, for `trigger: "sqs"`,
 * the queue model (batches of messages, retries, DLQ). The account asks for each minute once, in
 * order, when the clock has passed its end; a model that runs on exact times (the queue) also hears
 * of every routing change when it happens, before any later minute is asked for.
 */
export interface MinuteSource {
  minute(context: MinuteContext): SourceMinute;
  /** The alias' routing changed at `at` (the account's clock): the candidate's share from now on, 0..1. */
  routingChanged?(at: Date, candidateShare: number): void;
  /**
   * Slow invocations of a side in a generated minute, when the model knows each duration (the queue).
   * Without it, slow counts are drawn at query time from `expectedSlowFraction`.
   */
  slowCount?(index: number, side: VersionName, thresholdMs: number): number;
  /** A side's mean invocation duration in a generated minute (CloudWatch's `Average` of Duration), when the model knows it. */
  meanDurationMs?(index: number, side: VersionName, minutesSinceShift: number | null): number | undefined;
  /** A side's true cold-start rate and median init duration at a time (what its REPORT lines show). */
  coldStarts?(side: VersionName, minutesSinceShift: number | null): { rate: number; initDurationMs: number };
  /** The true share of a side's invocations slower than `thresholdMs` (slow counts are drawn at query time). */
  expectedSlowFraction(side: VersionName, minutesSinceShift: number | null, thresholdMs: number): number;
  /**
   * The stable version's duration at a percentile over the given minutes, which served `invocations`
   * (the baseline's latency threshold; see src/sim/baseline.ts).
   */
  baselineLatencyMs(percentile: number, minutes: readonly number[], invocations: number): number;
  /** Stable's true error rate (for excess failures). */
  stableErrorRate(): number;
  /**
   * The alias' hourly traffic over the `hours` hours that end at minute `endIndex` (may be before the
   * simulation's start), oldest first; absent for sources with no such history (the queue).
   */
  hourlyHistory?(endIndex: number, hours: number): Array<{ invocations: number; errors: number }>;
  /** The queue's hourly receives and deletes before the simulation, served by stable alone: up to `hours`, oldest first (SQS only). */
  queueHistory?(hours: number): Array<{ received: number; deleted: number }>;
  /** Event source mappings and queues (none for API functions). */
  queues?: QueueInspector;
  /** Failed work the candidate did beyond stable's rate, over the minutes before `endIndex`, when the model counts it its own way (the queue: messages). */
  excessFailures?(endIndex: number): number;
  /** Totals for `run --json` (SQS only). */
  queueSummary?(): QueueAccounting;
}

/** The API traffic model (src/sim/traffic.ts) as a minute source. */
export function apiMinuteSource(scenario: Scenario, seed: number): MinuteSource {
  const model = new TrafficModel(scenario, seed);
  return {
    minute: ({ rng, index, minutesSinceShift, weightPercent }) => {
      const { stable, candidate } = model.minute(rng, index, minutesSinceShift, weightPercent);
      return { stable, candidate };
    },
    expectedSlowFraction: (side, minutesSinceShift, thresholdMs) => model.expectedSlowFraction(side, minutesSinceShift, thresholdMs),
    meanDurationMs: (_index, side, minutesSinceShift) => model.meanDurationMs(side, minutesSinceShift),
    coldStarts: (side, minutesSinceShift) => model.coldStarts(side, minutesSinceShift),
    baselineLatencyMs: (percentile, _minutes, invocations) => apiBaselineLatencyMs(scenario, seed, invocations, percentile),
    stableErrorRate: () => model.trueErrorRate('stable', null),
    hourlyHistory: (endIndex, hours) => model.planHistory(seed, endIndex, hours),
  };
}


/** What a minute source is built from. Times in the source count from `simulationStart` (minute index 0). */
export interface MinuteSourceContext {
  scenario: Scenario;
  seed: number;
  simulationStart: Date;
  /** The account's clock (for queue calls made between minutes: depth, redrive). */
  now: () => Date;
}

export type MinuteSourceFactory = (context: MinuteSourceContext) => MinuteSource;


/**
 * How many of a side's invocations in a minute were slower than `thresholdMs`, when the model knows
 * only the share that is (the API traffic model): drawn from a stream of its own per (seed, minute,
 * side, threshold), so a count does not depend on when or how often it is asked for. The simulated
 * account's metrics port and the benchmark draw slow counts by this one rule.
 */
export function drawSlowCount(seed: number, index: number, side: VersionName, thresholdMs: number, invocations: number, slowFraction: number): number {
  return Random.for(seed, index, side === 'candidate' ? 1 : 0, Math.round(thresholdMs * 1000)).binomial(invocations, slowFraction);
}

/** The spread of init durations: log-normal with σ 0.3 (the p99 about twice the median). */
const INIT_SIGMA = 0.3;
/** The random stream key of cold starts (apart from the minute's own and the slow counts'). */
const COLD_START_STREAM = 0x636f6c64;

/**
 * How many of a side's invocations in a minute were cold starts, and their mean init duration (what
 * a Logs Insights query over the REPORT lines returns), drawn from a stream of their own per (seed,
 * minute, side): the minute's other figures, and every other policy's traffic, stay as they were.
 */
export function drawColdStarts(seed: number, index: number, side: VersionName, invocations: number, truth: { rate: number; initDurationMs: number }): { coldStarts: number; initMs?: number } {
  const rng = Random.for(seed, index, side === 'candidate' ? 1 : 0, COLD_START_STREAM);
  const coldStarts = rng.binomial(invocations, truth.rate);
  if (coldStarts === 0) return { coldStarts };
  // The mean of k log-normal init durations, by its normal approximation (display only: the judge tests the count).
  const mean = truth.initDurationMs * Math.exp((INIT_SIGMA * INIT_SIGMA) / 2);
  const cv = Math.sqrt(Math.expm1(INIT_SIGMA * INIT_SIGMA));
  return { coldStarts, initMs: Math.max(1, mean * (1 + (cv * rng.normal()) / Math.sqrt(coldStarts))) };
}
