/**
 * Alarm holds: while any alarm named in `gates.alarms` is in ALARM, a running canary neither
 * advances nor promotes. The state "Read the alarms" asks CloudWatch (DescribeAlarms, as a Step
 * Functions service integration, for the gate's alarms in state ALARM) before every look, and
 * Evaluate turns what it found into a hold. A hold counts against the step's extension and the
 * canary's budget like any other: past either, the canary ends safe, on stable, as inconclusive.
 */
import { clip } from './clip.ts';
import type { DecideResult } from './decide.ts';

/**
 * The gate's alarms that DescribeAlarms reported in ALARM (its answer as "Read the alarms" keeps it
 * in `$.firingAlarms`: `MetricAlarms` and `CompositeAlarms`), in the order the request named them.
 * Read field by field, not through a schema: it is AWS's answer, and only the names matter.
 */
export function firingAlarms(described: unknown, gate: readonly string[]): string[] {
  const listed = (key: string): unknown[] => {
    const value = described && typeof described === 'object' ? (described as Record<string, unknown>)[key] : undefined;
    return Array.isArray(value) ? value : [];
  };
  const firing = new Set(
    [...listed('MetricAlarms'), ...listed('CompositeAlarms')].flatMap((alarm) => {
      const { AlarmName, StateValue } = (alarm ?? {}) as { AlarmName?: unknown; StateValue?: unknown };
      return typeof AlarmName === 'string' && (StateValue === undefined || StateValue === 'ALARM') ? [AlarmName] : [];
    }),
  );
  return gate.filter((name) => firing.has(name));
}

/** `alarm "a" is in ALARM`, `alarms "a", "b" and 2 more are in ALARM`. */
export function describeFiring(firing: readonly string[]): string {
  const names = firing.slice(0, 3).map((name) => `"${clip(name)}"`).join(', ');
  const more = firing.length > 3 ? ` and ${firing.length - 3} more` : '';
  return firing.length === 1 ? `alarm ${names} is in ALARM` : `alarms ${names}${more} are in ALARM`;
}

export interface HoldInput {
  /** The alarms of `gates.alarms` in ALARM at this look. */
  firing: readonly string[];
  /** Settled minutes at this step's weight, the step's interval and its extension limit. */
  minutesInStep: number;
  intervalMinutes: number;
  maxExtensionMinutes: number;
}

/**
 * The decision once the alarms are taken into account. A rollback stands (a regression, or the
 * budget spent); any other decision becomes a hold while an alarm fires, and a rollback as
 * inconclusive once the hold has run past the step's extension.
 *
 * @example
 * holdWhileAlarmsFire({ decision: 'advance', reasons: ['no harm'] }, { firing: ['checkout-5xx'], minutesInStep: 6, intervalMinutes: 5, maxExtensionMinutes: 30 });
 * // { decision: 'hold', reasons: ['holding: alarm "checkout-5xx" is in ALARM (gates.alarms) …', 'no harm'] }
 */
export function holdWhileAlarmsFire(decided: DecideResult, input: HoldInput): DecideResult {
  const { firing, minutesInStep, intervalMinutes, maxExtensionMinutes } = input;
  if (firing.length === 0 || decided.decision === 'rollback') return decided;
  const extension = minutesInStep - intervalMinutes;
  if (extension >= maxExtensionMinutes) {
    return {
      decision: 'rollback',
      rollbackKind: 'inconclusive',
      reasons: [`held past the step's ${maxExtensionMinutes}-minute extension while ${describeFiring(firing)} (gates.alarms); back to stable, no regression found`, ...decided.reasons],
    };
  }
  return {
    decision: 'hold',
    reasons: [`holding: ${describeFiring(firing)} (gates.alarms); the canary does not advance or promote while it fires`, ...decided.reasons],
  };
}
