/**
 * The judge is a list of checks. `assess()` (assess.ts) reads the window once into a
 * `WindowSummary`, runs every check that applies, and combines their phases: any `fail` rolls back,
 * else any `inconclusive` holds, else the step may pass. Each check keeps its own memory.
 *
 * To add a check (e.g. the SQS queue trends in queue-checks.ts): implement `JudgeCheck`, give it a
 * share of the false-rollback budget with `alphaWeight` if it runs a sequential test (0 for plain
 * limits), and list it where assess.ts gathers checks.
 */
import type { MinuteObservation, VersionMinute } from '../ports.ts';
import type { Figures, JudgeInput, JudgePhase } from './types.ts';

/** A minute in which both versions' figures can be compared (a missing side with no expected traffic reads as zeros). */
export interface PairedMinute {
  minute: string;
  stable: VersionMinute;
  candidate: VersionMinute;
  /** Late arrivals for a minute already judged: the minute's invocations, the basis of the candidate's share. */
  lateFor?: { candidateInvocations: number; stableInvocations: number };
}

export interface VersionTotals {
  invocations: number;
  errors: number;
  throttles: number;
}

/** The look's window, read once for all checks. */
export interface WindowSummary {
  /** Settled minutes in the window. */
  minutes: number;
  /** Minutes both versions can be compared in (in order). */
  paired: PairedMinute[];
  /** One sentence per kind of missing data (never read as healthy: the look is inconclusive). */
  missing: string[];
  /** Minutes with data missing on one side while the other side had traffic. */
  missingMinutes: number;
  candidate: VersionTotals;
  stable: VersionTotals;
  /** The raw observations, for checks that need more (queues). */
  observations: MinuteObservation[];
}

export interface CheckInput {
  judge: JudgeInput;
  window: WindowSummary;
  /** 1-based count of looks in this canary, this one included. */
  look: number;
  /** This check's share of the false-rollback budget (0 when its alphaWeight is 0). */
  alpha: number;
  /** What this check returned as memory last time; undefined on the first look. */
  memory: unknown;
}

export interface CheckResult {
  phase: JudgePhase;
  reasons: string[];
  /** One plain line on what this check sees at this look, whatever its phase (intervals, no raw evidence). */
  summary: string;
  figures: Figures;
  /** Small and JSON-safe: it travels in the execution state. */
  memory?: unknown;
}

export interface JudgeCheck {
  /** Short, stable key: names its memory and prefixes nothing else. */
  name: string;
  /** Share of α for a sequential test (errors 2, latency ½, cost ½, …); 0 for checks that spend none. */
  alphaWeight: number;
  applies(input: JudgeInput): boolean;
  run(input: CheckInput): CheckResult;
}

const ZERO: VersionMinute = Object.freeze({ invocations: 0, errors: 0, throttles: 0 }) as VersionMinute;

/**
 * A version's missing minute counts as "no traffic" only when the other version's traffic and the
 * weights make zero plausible: fewer than this many requests were expected (P(0) ≥ e⁻⁵ ≈ 0.7%).
 */
const EXPECTED_REQUESTS_FOR_MISSING = 5;

/** Reads the window: pairs the minutes, totals them, and names missing data. */
export function summariseWindow(observations: MinuteObservation[], weightPercent: number): WindowSummary {
  const paired: PairedMinute[] = [];
  const candidate: VersionTotals = { invocations: 0, errors: 0, throttles: 0 };
  const stable: VersionTotals = { invocations: 0, errors: 0, throttles: 0 };
  let missingCandidate = 0;
  let missingStable = 0;
  const share = Math.min(1, Math.max(0, weightPercent / 100));
  for (const observation of observations) {
    let c = observation.candidate;
    let s = observation.stable;
    if (c === null && s === null) continue;
    if (c === null) {
      const expected = share >= 1 ? Infinity : (s!.invocations * share) / (1 - share);
      if (expected >= EXPECTED_REQUESTS_FOR_MISSING) {
        missingCandidate++;
        continue;
      }
      c = ZERO;
    }
    if (s === null) {
      const expected = share <= 0 ? Infinity : (c.invocations * (1 - share)) / share;
      if (expected >= EXPECTED_REQUESTS_FOR_MISSING) {
        missingStable++;
        continue;
      }
      s = ZERO;
    }
    paired.push({ minute: observation.minute, stable: s, candidate: c, ...(observation.lateFor ? { lateFor: observation.lateFor } : {}) });
    add(candidate, c);
    add(stable, s);
  }
  const missing: string[] = [];
  if (missingCandidate > 0) missing.push(`no candidate datapoint in ${plural(missingCandidate, 'minute')} while stable had traffic`);
  if (missingStable > 0) missing.push(`no stable datapoint in ${plural(missingStable, 'minute')} while the candidate had traffic`);
  return { minutes: observations.length, paired, missing, missingMinutes: missingCandidate + missingStable, candidate, stable, observations };
}

function add(totals: VersionTotals, minute: VersionMinute): void {
  totals.invocations += minute.invocations;
  totals.errors += minute.errors;
  totals.throttles += minute.throttles;
}

export function plural(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** 12345 → "12,345". */
export function formatCount(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

/** 0.00512 → "0.51%"; small rates keep two significant digits. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return 'n/a';
  const percent = rate * 100;
  if (percent === 0) return '0%';
  if (percent < 0.1) return `${percent.toPrecision(2)}%`;
  return `${percent.toFixed(2)}%`;
}

