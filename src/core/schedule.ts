/**
 * A canary's steps as the plan counts them: the candidate requests they bring by each minute
 * (`Schedule`, on the state machine's clock, src/core/clock.ts), and how soon the paired-count test
 * would roll back a candidate at a given rate (`pairedDetectionMinutes`). Pure; the forecast
 * (src/core/forecast.ts) is built on them.
 */
import { GUARDRAIL_ALPHA_SHARE } from './judge/guardrails.ts';
import { RATIO_GRID, RATIO_ONE, WORSE_WEIGHTS } from './judge/stats.ts';
import type { Strategy } from './strategy.ts';

/**
 * The step schedule in expected candidate requests: each step lasts its interval and the clock's lag
 * past it (stateMachineClock), the final one until promotion. Minutes are counted as the judge counts
 * them, from the first shift, whole.
 */
export class Schedule {
  constructor(
    private readonly strategy: Strategy,
    private readonly requestsPerMinute: number,
    /** Minutes each step but the last is held past its interval, at its weight. */
    private readonly stepLagMinutes = 0,
  ) {}

  /** Minutes a step but the last is served: its interval and the lag. */
  private get stepSpan(): number {
    return Math.max(1, this.strategy.intervalMinutes + this.stepLagMinutes);
  }

  /** Candidate's weight (0..1) in minute m (0-based). */
  weight(minute: number): number {
    const steps = this.strategy.steps;
    if (steps.length === 0) return 1;
    const index = Math.min(steps.length - 1, Math.floor(minute / this.stepSpan));
    return steps[index]! / 100;
  }

  /** Candidate requests served in the first `minutes` minutes. */
  requestsBy(minutes: number): number {
    let served = 0;
    for (let minute = 0; minute < minutes; minute++) served += this.requestsPerMinute * this.weight(minute);
    return served;
  }

  /** Whole minutes until the candidate has served `requests` (Infinity beyond a day). */
  minutesFor(requests: number): number {
    if (!Number.isFinite(requests)) return Infinity;
    if (requests <= 0) return Math.max(1, this.finalStart());
    let served = 0;
    const { steps } = this.strategy;
    const span = this.stepSpan;
    const finalStart = this.finalStart();
    for (let i = 0; i < steps.length - 1; i++) {
      const perMinute = (this.requestsPerMinute * steps[i]!) / 100;
      if (served + perMinute * span >= requests) return Math.max(finalStart, i * span + Math.ceil((requests - served) / perMinute));
      served += perMinute * span;
    }
    const perMinute = (this.requestsPerMinute * (steps[steps.length - 1] ?? 100)) / 100;
    if (!(perMinute > 0)) return Infinity;
    const minutes = finalStart + Math.ceil((requests - served) / perMinute);
    return minutes > 24 * 60 ? Infinity : Math.max(1, minutes);
  }

  /** The minute the final step starts. */
  finalStart(): number {
    return Math.max(0, this.strategy.steps.length - 1) * this.stepSpan;
  }
}

/** The errors test's share of the sequential tests' α when a latency baseline exists (errors 2 : latency ½ : cost ½). */
export const ERRORS_TEST_SHARE = 2 / 3;

/**
 * Expected minutes for the paired-count test to roll back a candidate at `candidateRate` (its
 * evidence grows by its expected log-likelihood ratio each minute; the grid point that gets there
 * first, with its prior weight, decides). Null when not within `limit` minutes. The rates are of
 * whatever the test counts (errors, slow requests); `testShare` is that check's share of the
 * sequential tests' α (src/core/judge/assess.ts).
 */
export function pairedDetectionMinutes(strategy: Strategy, requestsPerMinute: number, stableRate: number, candidateRate: number, alpha: number, limit: number, stepLagMinutes = 0, testShare = ERRORS_TEST_SHARE): number | null {
  if (!(candidateRate > stableRate)) return null;
  const threshold = Math.log(1 / (alpha * (1 - GUARDRAIL_ALPHA_SHARE) * testShare));
  const schedule = new Schedule(strategy, requestsPerMinute, stepLagMinutes);
  const grid = RATIO_GRID.slice(RATIO_ONE + 1);
  const logLr = grid.map(() => 0);
  for (let minute = 0; minute < limit; minute++) {
    const w = schedule.weight(minute);
    const nC = requestsPerMinute * w;
    const nS = requestsPerMinute * (1 - w);
    if (!(nC > 0 && nS > 0)) continue;
    const xC = nC * candidateRate;
    const xS = nS * stableRate;
    const pi1 = nC / (nC + nS);
    for (let g = 0; g < grid.length; g++) {
      const piG = (grid[g]! * nC) / (grid[g]! * nC + nS);
      logLr[g]! += xC * Math.log(piG / pi1) + xS * Math.log((1 - piG) / (1 - pi1));
      if (Math.log(WORSE_WEIGHTS[g]!) + logLr[g]! >= threshold) return minute + 1;
    }
  }
  return null;
}

/** `lullFrom`: the unset budget the plan grew from because traffic is at its daily low. */
