/**
 * The state machine's clock: when a canary looks, which minutes a look judges, and when a step ends.
 * Plan forecasts with it and the benchmark runs on it, so both take as long as the canary does on AWS
 * and in `run --local`.
 *
 * - A minute's counts settle `settleSeconds` after it ends and are judged at the next look. Looks fall
 *   on the minute grid (`nextLookAfter`), the settling time after each minute.
 * - A step lasts its interval on the wall clock, as CodeDeploy's do: the look that ends it has judged
 *   all but the minutes still settling (`judgedIntervalMinutes`), which the next step's first look
 *   judges. A regression that first shows in those minutes is rolled back a minute later, at the next
 *   weight; holding every step while they settle would cost every canary a minute a step. The final
 *   step is different: promotion cannot be undone, so it waits until its whole interval is judged.
 * - A step starts at its shift's minute when the shift lands in that minute's first seconds (the
 *   looks that shift do, with a settling time of whole minutes), else at the next (`firstMinuteOfStep`).
 *
 * @example
 * judgedIntervalMinutes(5, { settleSeconds: 60 }, false); // 4: the fifth minute is judged at the next step's first look
 * stateMachineClock({ settleSeconds: 60, evaluationMinutes: 1 }, 5).stepLagMinutes; // 0: the step lasts its 5 minutes
 */
import type { AnalysisSettings } from './judge/settings.ts';
import { addSeconds, ceilMinute, floorMinute } from './time.ts';

type ClockSettings = Partial<Pick<AnalysisSettings, 'settleSeconds' | 'evaluationMinutes'>>;

/**
 * A shift made in a minute's first SHIFT_GRACE_SECONDS counts that minute at the new weight, else the
 * step counts from the next whole minute. Each version's counts are its own, so the seconds at the old
 * weight move only the candidate's share of that one minute, by at most a sixth of the step between.
 */
export const SHIFT_GRACE_SECONDS = 10;

export function firstMinuteOfStep(now: Date): Date {
  const minute = floorMinute(now);
  return now.getTime() - minute.getTime() < SHIFT_GRACE_SECONDS * 1000 ? minute : ceilMinute(now);
}

/**
 * The next look after one at `now`, on the minute grid: `evaluationMinutes` after the last minute
 * that had settled, once the next ones have. A look made a few seconds late does not push every later
 * look (and the shifts after them) later still; the next look is always after `now`, at most
 * `evaluationMinutes` away.
 */
export function nextLookAfter(now: Date, analysis: { evaluationMinutes: number; settleSeconds: number }): Date {
  return addSeconds(floorMinute(addSeconds(now, -analysis.settleSeconds)), 60 * analysis.evaluationMinutes + analysis.settleSeconds);
}

/** Whole minutes a minute takes to settle. */
function settleMinutes(settings: ClockSettings): number {
  return Math.ceil((settings.settleSeconds ?? 60) / 60);
}

/**
 * The judged minutes that end a step: a step before the last, its interval less the minutes still
 * settling when the interval ends (at least one); the final step, its whole interval.
 */
export function judgedIntervalMinutes(intervalMinutes: number, settings: ClockSettings, isFinalStep: boolean): number {
  return isFinalStep ? intervalMinutes : Math.max(1, intervalMinutes - settleMinutes(settings));
}

/**
 * The clock in whole minutes, for a strategy with this interval: `stepLagMinutes`, how long a step
 * before the last is served past its interval (none when the shift's minute counts and the interval
 * is a whole number of looks); `decisionLagMinutes`, how long after the last minute it counts a
 * decision comes; `firstLookMinutes`, when a step's first look comes.
 */
export function stateMachineClock(settings: ClockSettings, intervalMinutes = 0) {
  const settle = settleMinutes(settings);
  const evaluation = Math.max(1, settings.evaluationMinutes ?? 1);
  const settleSeconds = settings.settleSeconds ?? 60;
  const shiftMinuteCounts = settleSeconds % 60 < SHIFT_GRACE_SECONDS;
  const judged = judgedIntervalMinutes(intervalMinutes, settings, false);
  // The look that ends a step comes the settling time after its last judged minute, on a look's
  // beat; the next step starts at that minute when the shift lands in its first seconds, else at the next.
  const served = evaluation * Math.ceil(judged / evaluation) + (shiftMinuteCounts ? Math.floor(settleSeconds / 60) : settle);
  return { stepLagMinutes: intervalMinutes > 0 ? Math.max(0, served - intervalMinutes) : 0, decisionLagMinutes: settle, firstLookMinutes: evaluation + settle, shiftMinuteCounts };
}
