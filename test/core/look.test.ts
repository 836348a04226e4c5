import { describe, expect, it } from 'vitest';
import { analysisSchema, assess } from '../../src/core/judge/index.ts';
import { look, type LookInput } from '../../src/core/look.ts';
import type { MinuteObservation } from '../../src/core/ports.ts';
import { CODEDEPLOY_STRATEGIES } from '../../src/core/strategy.ts';
import { JUDGE_BASELINE, minuteAt, versionMinute } from '../helpers/factories.ts';

/** Two minutes of a candidate that leans worse (4 errors in 120 requests against 6 in 1,080 of stable's), short of a verdict. */
const leaning: MinuteObservation[] = [0, 1].map((i) => ({ minute: minuteAt(i), candidate: versionMinute(60, 2), stable: versionMinute(540, 3) }));

/** The first step of CodeDeploy's Linear10PercentEvery10Minutes, its interval judged, with a 135-minute budget and the final weight planned for `finalStepMinutes`. */
function firstStep(minutesSinceFirstShift: number, finalStepMinutes?: number): LookInput {
  const strategy = CODEDEPLOY_STRATEGIES['Linear10PercentEvery10Minutes']!;
  return {
    memory: undefined,
    window: { minutes: leaning, failures: [] },
    baseline: JUDGE_BASELINE,
    settings: analysisSchema.parse({ maxDurationMinutes: 135, minRequests: 0 }),
    trigger: 'api',
    // A step before the last ends when its interval less the settling minute is judged.
    strategy: { steps: strategy.steps, intervalMinutes: 9 },
    stepIndex: 0,
    weight: 10,
    minutesInStep: 9,
    minutesSinceFirstShift,
    promotion: { bar: 0.02, alternative: 0.005, alpha: 0.01, stepMinRequests: [], finalStepMinRequests: 0, ...(finalStepMinutes === undefined ? {} : { finalStepMinutes }) },
  };
}

describe('look', () => {
  it('holds an early step while the candidate leans worse and the budget has room for the steps after it', () => {
    const held = look(assess, firstStep(10, 45));
    expect(held.decision).toBe('hold');
    expect(held.reasons[0]).toMatch(/the candidate leans worse/);
  });

  it('moves on from a lean once holding longer would leave the later steps and the final weight more than the budget has left', () => {
    // Seven more 10-minute steps and 45 final minutes, decided a minute after the last: past 135 from minute 20 on.
    expect(look(assess, firstStep(19, 45)).decision).toBe('hold');
    expect(look(assess, firstStep(20, 45)).decision).toBe('advance');
  });

  it('keeps holding for a plan that did not say how long its final weight takes', () => {
    expect(look(assess, firstStep(60)).decision).toBe('hold');
  });
});
