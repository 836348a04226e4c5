import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.ts';
import type { Assessment, JudgePhase } from '../../src/core/judge/index.ts';

function assessment(phase: JudgePhase, reason = `the judge says ${phase}`): Assessment {
  return { phase, reasons: [reason], figures: {}, memory: {} };
}

const base = { intervalMinutes: 5, isFinalStep: false, maxExtensionMinutes: 30 };

describe('decide', () => {
  it('rolls back at once, as a regression, when the judge fails the candidate, even mid-step', () => {
    expect(decide({ ...base, assessment: assessment('fail'), minutesInStep: 1 })).toEqual({ decision: 'rollback', rollbackKind: 'regression', reasons: ['the judge says fail'] });
  });

  it('holds while the step is still baking, even when the evidence would pass', () => {
    const result = decide({ ...base, assessment: assessment('pass'), minutesInStep: 3 });
    expect(result.decision).toBe('hold');
    expect(result.reasons[0]).toBe('baking: 2 more minutes at this step');
  });

  it('advances after the interval when the judge passes a step that is not the last', () => {
    expect(decide({ ...base, assessment: assessment('pass'), minutesInStep: 5 }).decision).toBe('advance');
  });

  it('promotes after the interval when the judge passes the last step', () => {
    expect(decide({ ...base, isFinalStep: true, assessment: assessment('pass'), minutesInStep: 7 }).decision).toBe('promote');
  });

  it('extends an inconclusive step up to the limit', () => {
    const result = decide({ ...base, assessment: assessment('inconclusive'), minutesInStep: 20 });
    expect(result.decision).toBe('hold');
    expect(result).not.toHaveProperty('rollbackKind');
    expect(result.reasons[0]).toBe('extending the step (15 of at most 30 extra minutes): the judge says inconclusive');
  });

  it('fails safe as inconclusive, not as a regression, once the extension is used up', () => {
    const result = decide({ ...base, assessment: assessment('inconclusive'), minutesInStep: 35 });
    expect(result.decision).toBe('rollback');
    expect(result.rollbackKind).toBe('inconclusive');
    expect(result.reasons[0]).toMatch(/^inconclusive, no regression found: not enough traffic to judge/);
    expect(result.reasons[0]).toContain('the judge says inconclusive');
  });

  describe('the budget', () => {
    const budget = { maxDurationMinutes: 60 };

    it('rolls back a canary that has not shown itself good enough by the end of its budget', () => {
      const result = decide({ ...base, ...budget, isFinalStep: true, assessment: assessment('inconclusive'), minutesInStep: 50, minutesSinceFirstShift: 60 });
      expect(result.decision).toBe('rollback');
      expect(result.reasons[0]).toMatch(/^no verdict within the 60-minute budget/);
      expect(result.reasons[0]).toContain('the judge says inconclusive');
    });

    it('still promotes a canary whose final step passes at the last look of its budget', () => {
      expect(decide({ ...base, ...budget, isFinalStep: true, assessment: assessment('pass'), minutesInStep: 50, minutesSinceFirstShift: 60 }).decision).toBe('promote');
    });

    it('rolls back at the budget a step that would still advance: promotion is no longer within reach', () => {
      expect(decide({ ...base, ...budget, assessment: assessment('pass'), minutesInStep: 5, minutesSinceFirstShift: 61 }).decision).toBe('rollback');
    });

    it('extends a step as before while the budget lasts', () => {
      expect(decide({ ...base, ...budget, assessment: assessment('inconclusive'), minutesInStep: 20, minutesSinceFirstShift: 40 }).decision).toBe('hold');
    });
  });
});
