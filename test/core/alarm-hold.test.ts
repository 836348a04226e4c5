import { describe, expect, it } from 'vitest';
import { firingAlarms, holdWhileAlarmsFire } from '../../src/core/alarm-hold.ts';

const timing = { minutesInStep: 6, intervalMinutes: 5, maxExtensionMinutes: 30 };

describe('firingAlarms', () => {
  it('names the gate’s alarms DescribeAlarms reported in ALARM, metric and composite, in the request’s order', () => {
    const described = { MetricAlarms: [{ AlarmName: 'b', StateValue: 'ALARM' }, { AlarmName: 'ok-one', StateValue: 'OK' }], CompositeAlarms: [{ AlarmName: 'a', StateValue: 'ALARM' }] };

    expect(firingAlarms(described, ['a', 'ok-one', 'b'])).toEqual(['a', 'b']);
  });

  it('ignores alarms the gate does not name, and finds none when nothing was read', () => {
    expect(firingAlarms({ MetricAlarms: [{ AlarmName: 'other', StateValue: 'ALARM' }] }, ['mine'])).toEqual([]);
    expect(firingAlarms(undefined, ['mine'])).toEqual([]);
    expect(firingAlarms({}, ['mine'])).toEqual([]);
  });
});

describe('holdWhileAlarmsFire', () => {
  it.each(['advance', 'promote', 'hold'] as const)('turns %s into a hold while an alarm fires, and says which alarm', (decision) => {
    const held = holdWhileAlarmsFire({ decision, reasons: ['the judge’s line'] }, { ...timing, firing: ['checkout-5xx'] });

    expect(held).toEqual({ decision: 'hold', reasons: ['holding: alarm "checkout-5xx" is in ALARM (gates.alarms); the canary does not advance or promote while it fires', 'the judge’s line'] });
  });

  it('leaves a rollback as it is: a regression is never held', () => {
    const rollback = { decision: 'rollback' as const, rollbackKind: 'regression' as const, reasons: ['worse'] };

    expect(holdWhileAlarmsFire(rollback, { ...timing, firing: ['checkout-5xx'] })).toBe(rollback);
  });

  it('leaves every decision as it is when no alarm fires', () => {
    const advance = { decision: 'advance' as const, reasons: ['fine'] };

    expect(holdWhileAlarmsFire(advance, { ...timing, firing: [] })).toBe(advance);
  });

  it('ends on stable, as inconclusive, once the hold has run past the step’s extension', () => {
    const ended = holdWhileAlarmsFire({ decision: 'advance', reasons: ['fine'] }, { firing: ['a', 'b', 'c', 'd'], minutesInStep: 35, intervalMinutes: 5, maxExtensionMinutes: 30 });

    expect(ended.decision).toBe('rollback');
    expect(ended.rollbackKind).toBe('inconclusive');
    expect(ended.reasons[0]).toBe('held past the step\'s 30-minute extension while alarms "a", "b", "c" and 1 more are in ALARM (gates.alarms); back to stable, no regression found');
  });
});
