/**
 * The stable version's baseline before the first shift, measured one way for everything that
 * simulates a canary: the simulated account's metrics port (what Plan reads in `run --local`) and
 * the benchmark's policies. So a scenario and a seed give Plan and the benchmark the same baseline.
 *
 * As Plan reads it from CloudWatch over its window: the minutes with a datapoint for the stable
 * version, their invocations and errors (and the median minute's), the stable version's duration
 * at the judged percentile over the window's invocations, and (SQS) the queue's minutes.
 */
import type { Baseline, QueueMinute, VersionMinute } from '../core/ports.ts';
import { round } from '../core/round.ts';
import type { QueueMinuteRecord } from './queue/records.ts';
import { Random } from './random.ts';
import type { Scenario } from './scenario.ts';
import { latencyLaw, samplePercentile } from './traffic.ts';

/** One minute of the baseline window. */
export interface BaselineMinute {
  /** The stable version's figures; absent or null when it served nothing. */
  stable?: VersionMinute | null;
  queue?: QueueMinute;
}

export interface BaselineMeasure {
  /** The stable version's duration at the judged percentile over the window's `invocations` (called only when there are some). */
  latencyMs(invocations: number): number;
  /** The stable version's median duration over the window's `invocations` (the cost check's reference); omit to leave it out. */
  medianMs?(invocations: number): number | undefined;
  /** Keep the window's queue minutes (SQS-triggered functions). */
  queue: boolean;
}

/** CloudWatch has no datapoint for a version that served nothing in a minute. */
export function hasDatapoint(figures: VersionMinute | null | undefined): figures is VersionMinute {
  return figures != null && (figures.invocations > 0 || figures.errors > 0 || figures.throttles > 0);
}

export function measureBaseline(minutes: readonly BaselineMinute[], measure: BaselineMeasure): Baseline {
  let count = 0;
  let invocations = 0;
  let errors = 0;
  const perMinute: number[] = [];
  const queue: QueueMinute[] = [];
  for (const minute of minutes) {
    perMinute.push(minute.stable?.invocations ?? 0);
    if (hasDatapoint(minute.stable)) {
      count++;
      invocations += minute.stable.invocations;
      errors += minute.stable.errors;
    }
    if (measure.queue && minute.queue) queue.push(minute.queue);
  }
  return {
    minutes: count,
    invocations,
    errors,
    ...(count > 0 ? { medianInvocationsPerMinute: median(perMinute) } : {}),
    // To the 0.1 ms Plan keeps, so the benchmark judges slow requests against the threshold Evaluate uses.
    ...(invocations > 0 ? { latencyThresholdMs: round(measure.latencyMs(invocations), 1) } : {}),
    ...(invocations > 0 && measure.medianMs ? definedMedian(measure.medianMs(invocations)) : {}),
    ...(measure.queue ? { queue } : {}),
  };
}

function definedMedian(medianMs: number | undefined): { medianMs?: number } {
  return medianMs === undefined ? {} : { medianMs: round(medianMs, 1) };
}

/** The middle minute's invocations (a minute with no datapoint counts as 0). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The stable version's latency at a percentile over `invocations` pooled requests of the API traffic
 * model, as CloudWatch reports it: the true percentile plus the sample quantile's noise, drawn from
 * the seed's own stream for the baseline.
 */
export function apiBaselineLatencyMs(scenario: Scenario, seed: number, invocations: number, percentile: number): number {
  return samplePercentile(Random.for(seed, -1), latencyLaw(scenario.stable.latencyMs), invocations, percentile);
}

/** The nearest-rank percentile of the stable version's invocation durations over the queue model's minutes. */
export function queueBaselineLatencyMs(records: readonly QueueMinuteRecord[], percentile: number): number | undefined {
  const sorted = records.flatMap((record) => record.stable.durationsMs).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1))]!;
}

/**
 * Where Plan's baseline window falls on a simulated timeline whose canary starts at minute
 * `startMinute` (the account's warm-up): the `baselineMinutes` whole minutes that end `settleSeconds`
 * before the start, floored to the minute — [from, to) as minute indexes, within the timeline.
 */
export function planBaselineWindow(startMinute: number, analysis: { baselineMinutes: number; settleSeconds: number }): { from: number; to: number } {
  const to = Math.max(0, Math.floor((startMinute * 60 - analysis.settleSeconds) / 60));
  return { from: Math.max(0, to - analysis.baselineMinutes), to };
}

/** Hours of the alias' history Plan reads before the baseline. */
export const PLAN_HISTORY_HOURS = 24;

/**
 * Where Plan's hourly history ends on a simulated timeline that starts at `simulationStartMs`: the
 * baseline window's start, floored to the hour (CloudWatch's hourly sums), as a minute index.
 */
export function planHistoryEnd(simulationStartMs: number, baselineFrom: number): number {
  const hourMs = 3_600_000;
  return Math.round((Math.floor((simulationStartMs + baselineFrom * 60_000) / hourMs) * hourMs - simulationStartMs) / 60_000);
}
