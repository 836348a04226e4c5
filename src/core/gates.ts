/**
 * Release gates: CloudWatch alarms named in the request's `gates.alarms`. While any is in ALARM a
 * canary does not start: Plan refuses before it touches the alias.
 */
import { InvalidRequestError, ReleaseBlockedError } from './errors.ts';
import type { AlarmReader } from './ports.ts';
import { clip } from './request.ts';

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

function describeFiring(firing: readonly string[]): string {
  const names = firing.slice(0, 3).map((name) => `"${clip(name)}"`).join(', ');
  const more = firing.length > 3 ? ` and ${firing.length - 3} more` : '';
  return firing.length === 1 ? `alarm ${names} is in ALARM` : `alarms ${names}${more} are in ALARM`;
}
