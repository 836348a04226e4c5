/**
 * Metrics that are still arriving. Lambda stamps an invocation's metrics with its START time but
 * sends them when it ENDS, so a minute read one settle period after it closed lacks the
 * invocations still running then — slow ones, and time-outs, which are a bad release's signature
 * on a function with a long timeout. Evaluate therefore re-reads, at every look, the minutes that
 * may still be filling (those that started within the function's timeout plus the settle period
 * of now), and hands the judge only what arrived since it last read them.
 *
 * Why re-read rather than settle every minute by the timeout: settling by a 15-minute timeout would
 * delay every decision by 15 minutes; re-reading costs a few more GetMetricData rows per look. The
 * late counts are judged as counts of their own minute: under "the candidate is no worse" each
 * late error is the candidate's with that minute's routing share, as every other error is.
 *
 * @example
 * const from = rereadFrom({ now, settleSeconds: 60, timeoutSeconds: 900, judgedUntil });
 * const { minutes, seen } = withLateArrivals(readMinutes, previousSeen, judgedUntil, from);
 */
import type { MinuteObservation, VersionMinute } from './ports.ts';
import { addSeconds, floorMinute, iso } from './time.ts';

/** Counts of one minute as last read: [invocations, errors, throttles, slow] for candidate, then stable. */
export type SeenCounts = Record<string, number[]>;

const FIELDS = 4;

/**
 * The start of the earliest minute that may still be filling at `now`: its last invocations can end
 * up to a minute plus the timeout after it starts, and CloudWatch needs the settle period on top.
 * Never later than `judgedUntil` (nothing to re-read then).
 */
export function rereadFrom(input: { now: Date; settleSeconds: number; timeoutSeconds: number; judgedUntil: Date }): Date {
  const from = floorMinute(addSeconds(input.now, -(60 + input.timeoutSeconds + input.settleSeconds)));
  return from < input.judgedUntil ? from : input.judgedUntil;
}

/**
 * Minutes of a step after which its first minute is complete, late arrivals included. The final
 * step bakes at least this long, so a promotion never rests only on minutes whose slowest
 * invocations (a candidate's time-outs) have not arrived.
 *
 * @example
 * minutesUntilComplete(900, 60); // 17
 */
export function minutesUntilComplete(timeoutSeconds: number, settleSeconds: number): number {
  return Math.ceil((timeoutSeconds + settleSeconds) / 60) + 1;
}

function counts(minute: VersionMinute | null): number[] {
  return minute ? [minute.invocations, minute.errors, minute.throttles, minute.slow ?? 0] : [0, 0, 0, 0];
}

/**
 * From the minutes read over [from, end): the late arrivals of minutes already judged (those before
 * `judgedUntil`) as observations of their own, then the new minutes as read; and the counts to
 * remember for the next look (only minutes that may still fill). A count never goes down: a minute
 * read with less than before (a failed or partial read) adds nothing.
 */
export function withLateArrivals(read: MinuteObservation[], seen: SeenCounts | undefined, judgedUntil: Date, from: Date): { minutes: MinuteObservation[]; seen: SeenCounts; lateMinutes: number } {
  const late: MinuteObservation[] = [];
  const fresh: MinuteObservation[] = [];
  const next: SeenCounts = {};
  const until = judgedUntil.getTime();
  for (const observation of read) {
    const at = Date.parse(observation.minute);
    const now = [...counts(observation.candidate), ...counts(observation.stable)];
    const before = seen?.[iso(new Date(at))];
    const kept = before ? now.map((value, i) => Math.max(value, before[i] ?? 0)) : now;
    if (at >= from.getTime()) next[iso(new Date(at))] = kept;
    if (at >= until) {
      fresh.push(observation);
      continue;
    }
    if (!before) continue; // judged before Coalmine kept its counts: nothing to compare with
    const delta = now.map((value, i) => Math.max(0, value - (before[i] ?? 0)));
    if (delta.every((value) => value === 0)) continue;
    const side = (offset: number, minute: VersionMinute | null): VersionMinute => ({
      invocations: delta[offset]!,
      errors: delta[offset + 1]!,
      throttles: delta[offset + 2]!,
      ...(minute?.slow === undefined ? {} : { slow: delta[offset + 3]! }),
    });
    late.push({
      minute: observation.minute,
      candidate: side(0, observation.candidate),
      stable: side(FIELDS, observation.stable),
      lateFor: { candidateInvocations: kept[0]!, stableInvocations: kept[FIELDS]! },
    });
  }
  return { minutes: [...late, ...fresh], seen: next, lateMinutes: late.length };
}
