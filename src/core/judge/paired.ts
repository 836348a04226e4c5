/**
 * The paired-count test shared by errors, slow requests and custom count metrics: the candidate's
 * and stable's counts in the same minutes, with the candidate's share of them compared with its
 * share of invocations (stats.ts explains why that is anytime-valid as weights change).
 *
 * Its memory is the cumulative counts and the log-likelihood ratios on the ratio grid, rounded:
 * about 200 bytes of JSON.
 */
import type { VersionMinute } from '../ports.ts';
import type { PairedMinute } from './check.ts';
import { addPairedMinute, logEvidenceWorse, RATIO_GRID, ratioConfidence, ratioEstimate } from './stats.ts';
import { round } from '../round.ts';


export type Direction = 'higherIsWorse' | 'lowerIsWorse';

export interface PairedMemory {
  /** Invocations [candidate, stable] that the counts came from. */
  n: [number, number];
  /** Counts [candidate, stable]. */
  x: [number, number];
  /** ln LR(ρ_g : 1) on RATIO_GRID. */
  L: number[];
}

export interface PairedObservation {
  nC: number;
  nS: number;
  xC: number;
  xS: number;
  /**
   * The invocations the candidate's share comes from, when not nC and nS: late arrivals for a minute
   * already judged are judged on that minute's share (its invocations as now read), since under
   * "no difference" each late count is the candidate's with the minute's routing share.
   */
  shareOf?: { nC: number; nS: number };
}

/** A paired minute's counts (`xC`, `xS`) as a test observation, with the share basis of late arrivals. */
export function pairedObservation(minute: { candidate: { invocations: number }; stable: { invocations: number }; lateFor?: { candidateInvocations: number; stableInvocations: number } }, xC: number, xS: number): PairedObservation {
  return {
    nC: minute.candidate.invocations,
    nS: minute.stable.invocations,
    xC,
    xS,
    ...(minute.lateFor ? { shareOf: { nC: minute.lateFor.candidateInvocations, nS: minute.lateFor.stableInvocations } } : {}),
  };
}

/**
 * One count per version from the window's paired minutes, added to the test in `memory`. A minute in
 * which a version served requests but has no count is left out and counted as missing (never read
 * as healthy).
 */
export function countPaired(paired: readonly PairedMinute[], memory: unknown, count: (version: VersionMinute) => number | undefined, alpha: number) {
  const observations: PairedObservation[] = [];
  let missing = 0;
  for (const minute of paired) {
    const xC = count(minute.candidate);
    const xS = count(minute.stable);
    if ((minute.candidate.invocations > 0 && xC === undefined) || (minute.stable.invocations > 0 && xS === undefined)) {
      missing++;
      continue;
    }
    observations.push(pairedObservation(minute, xC ?? 0, xS ?? 0));
  }
  const test = updatePaired(readPaired(memory), observations);
  return { test, verdict: judgePaired(test, 'higherIsWorse', alpha), missing, rateC: test.x[0] / (test.n[0] || 1), rateS: test.x[1] / (test.n[1] || 1) };
}

export function emptyPaired(): PairedMemory {
  return { n: [0, 0], x: [0, 0], L: RATIO_GRID.map(() => 0) };
}

/** Accepts memory only if it has the shape this version writes; anything else starts afresh. */
export function readPaired(memory: unknown): PairedMemory {
  if (memory !== null && typeof memory === 'object') {
    const m = memory as Partial<PairedMemory>;
    if (
      Array.isArray(m.n) && m.n.length === 2 && Array.isArray(m.x) && m.x.length === 2 &&
      Array.isArray(m.L) && m.L.length === RATIO_GRID.length && [...m.n, ...m.x, ...m.L].every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      return { n: [m.n[0]!, m.n[1]!], x: [m.x[0]!, m.x[1]!], L: [...m.L] };
    }
  }
  return emptyPaired();
}

/** Adds minutes of paired counts (in place) and returns the memory to keep. */
export function updatePaired(memory: PairedMemory, observations: PairedObservation[]): PairedMemory {
  for (const { nC, nS, xC, xS, shareOf } of observations) {
    addPairedMinute(memory.L, RATIO_GRID, shareOf?.nC ?? nC, shareOf?.nS ?? nS, xC, xS);
    memory.n[0] += nC;
    memory.n[1] += nS;
    memory.x[0] += xC;
    memory.x[1] += xS;
  }
  return memory;
}

/** Rounded copy for the execution state. */
export function compactPaired(memory: PairedMemory): PairedMemory {
  return { n: memory.n, x: memory.x, L: memory.L.map((v) => round(v, 4)) };
}

export interface PairedVerdict {
  /** The e-value against "candidate no worse". */
  evidence: number;
  /** 1/α: the evidence that rolls back. */
  needed: number;
  worse: boolean;
  /** Confidence sequence for rate_c / rate_s at the test's level (grid resolution). */
  ratioLower: number;
  ratioUpper: number;
  ratioEstimate: number;
}

/** Evidence and ratio bounds for a paired test at level α. */
export function judgePaired(memory: PairedMemory, direction: Direction, alpha: number): PairedVerdict {
  const logEvidence = logEvidenceWorse(memory.L, direction);
  const needed = 1 / alpha;
  const { lower, upper } = ratioConfidence(memory.L, alpha);
  return {
    evidence: Math.exp(logEvidence),
    needed,
    worse: logEvidence >= Math.log(needed),
    ratioLower: lower,
    ratioUpper: upper,
    ratioEstimate: ratioEstimate(memory.L),
  };
}
