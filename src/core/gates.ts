/**
 * Release gates: CloudWatch alarms named in the request's `gates.alarms` (while any is in ALARM a
 * canary does not start) and `gates.startWindows` (a canary starts only inside one of them). Plan
 * checks both before it touches the alias.
 */
import { InvalidRequestError, ReleaseBlockedError } from './errors.ts';
import type { AlarmReader } from './ports.ts';
import { describeFiring } from './alarm-hold.ts';
import { clip, type StartWindow } from './request.ts';

/** Refuses to start while a named alarm is in ALARM; a name with no alarm is refused too, so a typo never leaves a gate open. */
export async function checkAlarmsBeforeStart(alarms: AlarmReader, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const states = await alarms.states(names);
  const missing = names.find((name) => !(name in states));
  if (missing !== undefined) throw new InvalidRequestError(`gates.alarms: no CloudWatch alarm named "${clip(missing)}" in this account and region`);
  const firing = names.filter((name) => states[name] === 'ALARM');
  if (firing.length) {
    throw new ReleaseBlockedError(`gates.alarms: ${describeFiring(firing)}; the canary does not start while it fires (start it again once the alarm is OK)`);
  }
}

/** Refuses to start outside every start window (each read in its own time zone). */
export function checkStartWindows(windows: readonly StartWindow[] | undefined, now: Date): void {
  if (!windows?.length) return;
  if (windows.some((window) => isInside(window, now))) return;
  const first = windows[0]!;
  const local = localTime(now, first.timeZone);
  const listed = windows.map((window) => `${window.days.join(',')} ${window.from}-${window.to} ${window.timeZone}`).join('; ');
  throw new ReleaseBlockedError(`gates.startWindows: it is ${local.day} ${local.time} in ${first.timeZone}, outside every start window (${clip(listed)}); the canary does not start`);
}

function isInside(window: StartWindow, now: Date): boolean {
  const { day, time } = localTime(now, window.timeZone);
  return (window.days as readonly string[]).includes(day) && time >= window.from && time < window.to;
}

/** The weekday (Mon…Sun) and HH:MM of `now` in a time zone. */
function localTime(now: Date, timeZone: string): { day: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: part('weekday'), time: `${part('hour')}:${part('minute')}` };
}
