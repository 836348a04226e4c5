import { describe, expect, it } from 'vitest';
import { firstMinuteOfStep, judgedIntervalMinutes, nextLookAfter, stateMachineClock } from '../../src/core/clock.ts';

const at = (time: string) => new Date(`2026-01-05T${time}Z`);
const analysis = { evaluationMinutes: 1, settleSeconds: 60 };

describe('nextLookAfter', () => {
  it('puts the next look on the minute grid, the settling time after the next minute ends', () => {
    expect(nextLookAfter(at('09:06:00.000'), analysis)).toEqual(at('09:07:00.000'));
  });

  it('does not carry a late look’s seconds into every look after it', () => {
    expect(nextLookAfter(at('09:06:04.500'), analysis)).toEqual(at('09:07:00.000'));
    expect(nextLookAfter(at('09:06:59.000'), analysis)).toEqual(at('09:07:00.000'));
  });

  it('is always after the look, and at most one evaluation period away', () => {
    for (const time of ['09:06:00.000', '09:06:00.001', '09:06:30.000', '09:06:59.999']) {
      const now = at(time);
      const next = nextLookAfter(now, { evaluationMinutes: 3, settleSeconds: 90 });
      expect(next.getTime()).toBeGreaterThan(now.getTime());
      expect(next.getTime() - now.getTime()).toBeLessThanOrEqual(3 * 60_000);
      expect(next.getUTCSeconds()).toBe(30);
    }
  });
});

describe('firstMinuteOfStep', () => {
  it('counts the shift’s own minute when the shift lands in its first seconds', () => {
    expect(firstMinuteOfStep(at('09:06:03.000'))).toEqual(at('09:06:00.000'));
  });

  it('starts the step at the next minute when the shift lands later in the minute', () => {
    expect(firstMinuteOfStep(at('09:06:10.000'))).toEqual(at('09:07:00.000'));
    expect(firstMinuteOfStep(at('09:06:45.000'))).toEqual(at('09:07:00.000'));
  });
});

describe('a step’s interval on the clock', () => {
  it('ends a step before the last when its interval has passed, judging the minute still settling at the next step', () => {
    expect(judgedIntervalMinutes(5, { settleSeconds: 60 }, false)).toBe(4);
    expect(stateMachineClock({ settleSeconds: 60, evaluationMinutes: 1 }, 5).stepLagMinutes).toBe(0);
  });

  it('waits for the final step’s whole interval to be judged: promotion cannot be undone', () => {
    expect(judgedIntervalMinutes(5, { settleSeconds: 60 }, true)).toBe(5);
  });

  it('holds a one-minute step until that minute is judged', () => {
    expect(stateMachineClock({ settleSeconds: 60, evaluationMinutes: 1 }, 1).stepLagMinutes).toBe(1);
  });

  it('ends a step with its interval when the settling time is not whole minutes: the shift lands mid-minute and the step counts from the next', () => {
    // Judged 3 of 5 minutes; the look at 3 + 1.5 shifts, and the next step counts from minute 5.
    expect(stateMachineClock({ settleSeconds: 90, evaluationMinutes: 1 }, 5)).toMatchObject({ stepLagMinutes: 0, shiftMinuteCounts: false });
  });

  it('ends a step on a look’s beat when looks come less often than every minute', () => {
    // Judged 4 minutes are reached at the second 3-minute look (6), then a minute to settle: 7.
    expect(stateMachineClock({ settleSeconds: 60, evaluationMinutes: 3 }, 5).stepLagMinutes).toBe(2);
  });
});
