/**
 * The simulated account's CloudWatch: each generated minute as the metrics port reports it, per
 * version, with slow counts against a threshold, custom metrics and the queue's minute, and the
 * stable version's baseline before the shift, and the alias' hourly history before that. Metric
 * outages (fault injection) drop minutes or fail the query.
 *
 * Late arrival, as Lambda does it: an invocation's metrics carry its START time but are sent when it
 * ENDS. Invocations that time out run `timeoutSeconds`, so a minute's timed-out invocations (started
 * evenly over the minute) show up in that minute's counts — invocations, errors, slow — only from
 * its start + timeout on, the last of them a minute later. A query made before then sees the minute
 * without them.
 */
import type { Baseline, MetricsSource, MetricsWindow, MinuteObservation, TrafficHistory, VersionMetricsQuery, VersionMinute } from '../../core/ports.ts';
import { measureBaseline } from '../baseline.ts';
import type { FaultInjector } from '../faults.ts';
import { drawSlowCount } from '../minute-source.ts';
import type { DrawnVersionMinute, VersionName } from '../traffic.ts';
import { MINUTE_MS, type SimAccountSettings } from './settings.ts';
import type { SimMinute, Timeline } from './timeline.ts';

/** The mean duration of `invocations` of which `timedOut` ran the whole timeout and the rest averaged `meanMs`. */
export function meanWithTimeouts(meanMs: number, invocations: number, timedOut: number, timeoutMs: number): number {
  return invocations > 0 ? (meanMs * (invocations - timedOut) + timeoutMs * timedOut) / invocations : meanMs;
}

export function createSimMetrics(timeline: Timeline, faults: FaultInjector, settings: SimAccountSettings, seed: number): MetricsSource {
  const { source } = timeline;
  const ours = (query: { functionName: string; alias: string }): boolean => query.functionName === settings.functionName && query.alias === settings.alias;

  /** A minute lost to a metrics outage (fault injection): from a time, or from minutes after the first shift. */
  function dropped(minute: SimMinute): boolean {
    const cutoff = faults.metricsCutoff;
    if (cutoff === undefined) return false;
    const at = Date.parse(minute.minute);
    if (typeof cutoff === 'string') return at >= Date.parse(cutoff);
    const firstShift = timeline.firstShift();
    return firstShift !== undefined && at >= firstShift + cutoff * MINUTE_MS;
  }

  /** Timed-out invocations of a minute whose metrics have not arrived yet. */
  function stillRunning(minute: SimMinute, timedOut: number | undefined): number {
    if (!timedOut) return 0;
    const firstArrival = Date.parse(minute.minute) + settings.timeoutSeconds * 1000;
    const arrived = Math.min(1, Math.max(0, (timeline.now() - firstArrival) / MINUTE_MS));
    return timedOut - Math.floor(arrived * timedOut);
  }

  /** A version's figures of a minute as CloudWatch has them now: without the invocations still running. */
  function arrived(minute: SimMinute, figures: DrawnVersionMinute | undefined): VersionMinute | undefined {
    const late = figures ? stillRunning(minute, figures.timedOut) : 0;
    return figures && late > 0 ? { ...figures, invocations: figures.invocations - late, errors: figures.errors - late } : figures;
  }

  function observe(minute: SimMinute, query: VersionMetricsQuery): MinuteObservation {
    const visible = ours(query) && !dropped(minute);
    const pick = (version: string, side: VersionName): VersionMinute | null => {
      const figures = visible ? minute.versions[version] : undefined;
      if (!figures) return null;
      const late = stillRunning(minute, figures.timedOut);
      if (late >= figures.invocations && figures.throttles === 0) return null;
      const result: VersionMinute = { invocations: figures.invocations - late, errors: figures.errors - late, throttles: figures.throttles };
      if (figures.p99Ms !== undefined) result.p99Ms = figures.p99Ms;
      if (query.slowThresholdMs !== undefined) {
        const sideNow = version === settings.candidateVersion ? side : 'stable';
        if (source.slowCount) {
          result.slow = source.slowCount(minute.index, sideNow, query.slowThresholdMs);
        } else {
          // Timed-out invocations are slower than any threshold; the rest are drawn at query time.
          const timedOut = figures.timedOut ?? 0;
          const p = source.expectedSlowFraction(sideNow, minute.minutesSinceShift, query.slowThresholdMs);
          result.slow = timedOut - late + drawSlowCount(seed, minute.index, sideNow, query.slowThresholdMs, figures.invocations - timedOut, p);
        }
      }
      if (query.medianThresholdsMs !== undefined) {
        const sideNow = version === settings.candidateVersion ? side : 'stable';
        const thresholdMs = query.medianThresholdsMs[side];
        // As slow counts: timed-out invocations are over any threshold, the rest drawn at query time.
        const timedOut = figures.timedOut ?? 0;
        result.overMedian = source.slowCount
          ? source.slowCount(minute.index, sideNow, thresholdMs)
          : timedOut - late + drawSlowCount(seed, minute.index, sideNow, thresholdMs, figures.invocations - timedOut, source.expectedSlowFraction(sideNow, minute.minutesSinceShift, thresholdMs));
        const meanMs = source.meanDurationMs?.(minute.index, sideNow, minute.minutesSinceShift);
        if (meanMs !== undefined && result.invocations > 0) {
          result.averageMs = meanWithTimeouts(meanMs, result.invocations, timedOut - late, settings.timeoutSeconds * 1000);
        }
      }
      if (query.customMetrics?.length && figures.custom) {
        const custom: Record<string, number> = {};
        for (const metric of query.customMetrics) {
          const value = figures.custom[metric.id];
          if (value !== undefined) custom[metric.id] = value;
        }
        if (Object.keys(custom).length) result.custom = custom;
      }
      return result;
    };
    return {
      minute: minute.minute,
      stable: pick(query.stableVersion, 'stable'),
      candidate: pick(query.candidateVersion, 'candidate'),
      ...(query.queue ? { queue: visible && minute.queue ? minute.queue : null } : {}),
    };
  }

  return {
    versionMinutes: (query) =>
      faults.call('metrics.versionMinutes', [query], (): MetricsWindow => {
        const failure = faults.takeMetricsFailure();
        if (failure !== undefined) return { minutes: [], failures: [{ metric: 'versionMinutes', message: failure }] };
        const observed: MinuteObservation[] = [];
        for (const minute of timeline.minutesIn(query.start, query.end)) observed.push(observe(minute, query));
        return { minutes: observed, failures: [] };
      }),
    baseline: (query) =>
      faults.call('metrics.baseline', [query], (): Baseline => {
        const window = timeline.minutesIn(query.start, query.end).filter((minute) => !dropped(minute));
        return measureBaseline(
          window.map((minute) => ({ stable: ours(query) ? arrived(minute, minute.versions[query.version]) : undefined, ...(minute.queue ? { queue: minute.queue } : {}) })),
          {
            latencyMs: (invocations) => source.baselineLatencyMs(query.percentile, window.map((minute) => minute.index), invocations),
            medianMs: (invocations) => source.baselineLatencyMs(50, window.map((minute) => minute.index), invocations),
            queue: query.queue !== undefined,
          },
        );
      }),
    history: (query) =>
      faults.call('metrics.history', [query], (): TrafficHistory => {
        const from = Math.floor(Date.parse(query.start) / HOUR_MS) * HOUR_MS;
        const to = Math.floor(Date.parse(query.end) / HOUR_MS) * HOUR_MS;
        const hours = Math.max(0, Math.round((to - from) / HOUR_MS));
        if (!ours(query) || hours === 0) return { hours: [], failures: [] };
        const sums = source.hourlyHistory?.(Math.round((to - timeline.simulationStart) / MINUTE_MS), hours) ?? [];
        // The queue's hours are the last of the window (a busy queue's history run is shorter than a day).
        const queueSums = query.queue && source.queueHistory ? source.queueHistory(hours) : undefined;
        return {
          hours: sums.map((sum, i) => ({ start: new Date(from + i * HOUR_MS).toISOString(), ...sum })),
          ...(queueSums ? { queueHours: queueSums.map((sum, i) => ({ start: new Date(to - (queueSums.length - i) * HOUR_MS).toISOString(), ...sum })) } : {}),
          failures: [],
        };
      }),
  };
}

const HOUR_MS = 60 * MINUTE_MS;

