import { describe, expect, it } from 'vitest';
import { firstMinuteOfStep, nextLookAfter } from '../../src/core/time.ts';

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
