/**
 * The simulated account's clock and traffic: the clock moves only forward; every whole minute it
 * passes is drawn once from the minute source at the alias' routing over that minute, and actions
 * scheduled for a time run when the clock reaches it.
 */
import type { Clock, QueueMinute, VersionMinute } from '../../core/ports.ts';
import { hasDatapoint } from '../baseline.ts';
import type { MinuteSource, MinuteSourceFactory } from '../minute-source.ts';
import { Random } from '../random.ts';
import type { Scenario } from '../scenario.ts';
import type { DrawnVersionMinute } from '../traffic.ts';
import { MINUTE_MS } from './settings.ts';
import { round } from '../../core/round.ts';

/** One simulated minute, with the truth behind it. */
export interface SimMinute {
  index: number;
  /** ISO start of the minute. */
  minute: string;
  /** Candidate's share over the minute, percent. */
  weight: number;
  minutesSinceShift: number | null;
  /** The version on the stable side this minute (the alias' other version; normally the stable one). */
  stableSide: string;
  /** Figures by version; a version that served nothing has no entry. */
  versions: Record<string, DrawnVersionMinute>;
  queue?: QueueMinute;
}

/** One simulated minute of the alias' traffic, for charts (an execution record's `series`). */
export interface SeriesPoint {
  /** ISO time of the minute's start. */
  minute: string;
  /** Candidate's share of traffic over the minute, percent. */
  weight: number;
  stable: VersionMinute | null;
  candidate: VersionMinute | null;
}

export interface SimClock extends Clock {
  /** Moves the clock forward (never back), generating every whole minute that ends by then. */
  advanceTo(time: string | Date): void;
}

export interface Timeline {
  readonly clock: SimClock;
  readonly source: MinuteSource;
  /** Where minute 0 starts (ms). */
  readonly simulationStart: number;
  /** The clock now (ms). */
  now(): number;
  advanceTo(time: string | Date): void;
  /** Runs `run` when the clock reaches `when`: an ISO time, or minutes after the first shift. */
  schedule(when: string | number, run: () => void): void;
  /** The alias' routing changes now: shares by version, fractions summing to 1. */
  route(shares: Record<string, number>): void;
  /** When traffic first reached the candidate (ms); undefined while it has not. */
  firstShift(): number | undefined;
  /** Every generated minute, in order. */
  minutes(): readonly SimMinute[];
  /** The generated minutes starting in [start, end). */
  minutesIn(startIso: string, endIso: string): SimMinute[];
  series(): SeriesPoint[];
}

export interface TimelineOptions {
  scenario: Scenario;
  seed: number;
  simulationStart: number;
  candidateVersion: string;
  stableVersion: string;
  /** The alias' routing when the simulation starts. */
  shares: Record<string, number>;
  source: MinuteSourceFactory;
}

interface ScheduledAction {
  when: string | number;
  run: () => void;
}

interface RoutingSegment {
  /** From this time on (ms). */
  from: number;
  /** Share of the alias by version, fractions summing to 1. */
  shares: Record<string, number>;
}

export function createTimeline(options: TimelineOptions): Timeline {
  const { scenario, seed, simulationStart, candidateVersion, stableVersion } = options;
  let now = simulationStart;
  const source = options.source({ scenario, seed, simulationStart: new Date(simulationStart), now: () => new Date(now) });
  const routing: RoutingSegment[] = [{ from: simulationStart, shares: options.shares }];
  let firstShift: number | undefined;
  const scheduled: ScheduledAction[] = [];
  const minutes: SimMinute[] = [];
  const rng = new Random(0);

  function advanceTo(time: string | Date): void {
    const target = typeof time === 'string' ? Date.parse(time) : time.getTime();
    if (Number.isNaN(target)) throw new RangeError(`advanceTo: not a time: ${String(time)}`);
    // Scheduled actions happen at their time, in order, with the traffic generated up to it.
    for (let due = nextDue(target); due; due = nextDue(target)) {
      scheduled.splice(scheduled.indexOf(due.action), 1);
      moveClock(due.at);
      due.action.run();
    }
    moveClock(target);
  }

  function moveClock(target: number): void {
    if (target <= now) return;
    now = target;
    const end = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    while (simulationStart + minutes.length * MINUTE_MS + MINUTE_MS <= end) generateMinute(minutes.length);
  }

  /** The earliest scheduled action due by `target` (minutes after the first shift wait for it). */
  function nextDue(target: number): { action: ScheduledAction; at: number } | undefined {
    let best: { action: ScheduledAction; at: number } | undefined;
    for (const action of scheduled) {
      const at = typeof action.when === 'string' ? Date.parse(action.when) : firstShift === undefined ? undefined : firstShift + action.when * MINUTE_MS;
      if (at === undefined || at > target) continue;
      if (!best || at < best.at) best = { action, at };
    }
    return best;
  }

  function generateMinute(index: number): void {
    const from = simulationStart + index * MINUTE_MS;
    const shares = averageShares(routing, from, from + MINUTE_MS);
    const candidateShare = shares[candidateVersion] ?? 0;
    const stableSide = mainOther(shares, candidateVersion) ?? stableVersion;
    const sinceShift = minutesSinceShift(from);
    const weightPercent = round(candidateShare * 100, 6);
    const drawn = source.minute({ rng: rng.reseed(seed, index), index, start: new Date(from), minutesSinceShift: sinceShift, weightPercent });
    const figures: Record<string, DrawnVersionMinute> = {};
    if (hasDatapoint(drawn.stable)) figures[stableSide] = drawn.stable;
    if (hasDatapoint(drawn.candidate)) figures[candidateVersion] = drawn.candidate;
    minutes.push({
      index,
      minute: new Date(from).toISOString(),
      weight: weightPercent,
      minutesSinceShift: sinceShift,
      stableSide,
      versions: figures,
      ...(drawn.queue ? { queue: drawn.queue } : {}),
    });
  }

  function minutesSinceShift(minuteStart: number): number | null {
    if (firstShift === undefined || minuteStart + MINUTE_MS <= firstShift) return null;
    return Math.max(0, Math.floor((minuteStart - firstShift) / MINUTE_MS));
  }

  return {
    clock: { now: () => new Date(now), advanceTo },
    source,
    simulationStart,
    now: () => now,
    advanceTo,
    schedule(when, run) {
      scheduled.push({ when, run });
      // Something due already happens at once (at the current time).
      advanceTo(new Date(now));
    },
    route(shares) {
      routing.push({ from: now, shares });
      const candidateShare = shares[candidateVersion] ?? 0;
      if (firstShift === undefined && candidateShare > 0) firstShift = now;
      source.routingChanged?.(new Date(now), candidateShare);
    },
    firstShift: () => firstShift,
    minutes: () => minutes,
    minutesIn(startIso, endIso) {
      const from = Date.parse(startIso);
      const to = Date.parse(endIso);
      return minutes.filter((minute) => {
        const at = Date.parse(minute.minute);
        return at >= from && at < to;
      });
    },
    series: () =>
      minutes.map((minute) => ({
        minute: minute.minute,
        weight: minute.weight,
        stable: minute.versions[minute.stableSide] ?? null,
        candidate: minute.versions[candidateVersion] ?? null,
      })),
  };
}

/** The routing averaged over [from, to): a shift in mid-minute counts for the part of the minute after it. */
function averageShares(routing: RoutingSegment[], from: number, to: number): Record<string, number> {
  const shares: Record<string, number> = {};
  for (let i = 0; i < routing.length; i++) {
    const segment = routing[i]!;
    const segmentEnd = routing[i + 1]?.from ?? Infinity;
    const overlap = Math.min(to, segmentEnd) - Math.max(from, segment.from);
    if (overlap <= 0) continue;
    for (const [version, share] of Object.entries(segment.shares)) {
      shares[version] = (shares[version] ?? 0) + (share * overlap) / (to - from);
    }
  }
  return shares;
}

/** The version other than the candidate that carries the most traffic (the "stable" side). */
function mainOther(shares: Record<string, number>, candidate: string): string | undefined {
  let best: string | undefined;
  let bestShare = -1;
  for (const [version, share] of Object.entries(shares)) {
    if (version === candidate || share <= bestShare) continue;
    best = version;
    bestShare = share;
  }
  return best;
}
