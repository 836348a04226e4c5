/** Minute arithmetic on ISO timestamps. CloudWatch datapoints are whole minutes. */
const MINUTE_MS = 60_000;

export function floorMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS);
}

export function ceilMinute(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / MINUTE_MS) * MINUTE_MS);
}

/**
 * A shift made in a minute's first SHIFT_GRACE_SECONDS counts that minute at the new weight, else the
 * step counts from the next whole minute. Looks fall on the minute grid (`nextLookAfter`), so with the
 * default settling time a shift lands a few seconds into a minute: counting that minute saves a
 * minute a step. Each version's counts are its own, so the seconds at the old weight move only the
 * candidate's share of that one minute, by at most a sixth of the step between.
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

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

/** Whole minutes from `from` to `to` (negative when `to` is earlier). */
export function minutesBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / MINUTE_MS);
}

export function iso(date: Date): string {
  return date.toISOString();
}
