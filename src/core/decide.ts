/**
 * From the judge's phase to the decision the state machine follows. This is where the limits live
 * (Argo Rollouts' `assess()`): a step bakes for its interval before it may pass; a step the judge
 * cannot yet call is extended, up to a limit, and then the canary fails safe.
 */
import type { Assessment } from './judge/index.ts';
import type { Decision, JudgedRollbackKind } from './state.ts';

export interface DecideInput {
  assessment: Assessment;
  /** Settled minutes observed at this step's weight. */
  minutesInStep: number;
  intervalMinutes: number;
  isFinalStep: boolean;
  maxExtensionMinutes: number;
  /** Settled minutes since the first shift, and the canary's budget: past it, a canary not yet shown good enough rolls back. */
  minutesSinceFirstShift?: number;
  maxDurationMinutes?: number;
}

export interface DecideResult {
  decision: Decision;
  reasons: string[];
  /**
   * Why a rollback: `regression` when a check found the candidate worse, `inconclusive` when the
   * step ran out of extension, or the canary its budget, without a verdict. Present only with decision `rollback`.
   */
  rollbackKind?: JudgedRollbackKind;
}

/**
 * @example
 * decide({ assessment, minutesInStep: 6, intervalMinutes: 5, isFinalStep: true, maxExtensionMinutes: 120 });
 * // → { decision: 'promote', reasons: [...] } when the judge says 'pass'
 */
export function decide(input: DecideInput): DecideResult {
  const { assessment, minutesInStep, intervalMinutes, isFinalStep, maxExtensionMinutes } = input;
  if (assessment.phase === 'fail') return { decision: 'rollback', rollbackKind: 'regression', reasons: assessment.reasons };
  const { minutesSinceFirstShift, maxDurationMinutes } = input;
  if (minutesSinceFirstShift !== undefined && maxDurationMinutes !== undefined && minutesSinceFirstShift >= maxDurationMinutes && !(assessment.phase === 'pass' && isFinalStep && minutesInStep >= intervalMinutes)) {
    return {
      decision: 'rollback',
      rollbackKind: 'inconclusive',
      reasons: [
        `no verdict within the ${maxDurationMinutes}-minute budget${assessment.reasons[0] ? ` — ${assessment.reasons[0]}` : ''}`,
        ...assessment.reasons.slice(1),
      ],
    };
  }

  const left = intervalMinutes - minutesInStep;
  if (left > 0) {
    return { decision: 'hold', reasons: [`baking: ${left} more minute${left === 1 ? '' : 's'} at this step`, ...assessment.reasons] };
  }
  if (assessment.phase === 'pass') {
    return { decision: isFinalStep ? 'promote' : 'advance', reasons: assessment.reasons };
  }

  const extension = minutesInStep - intervalMinutes;
  if (extension >= maxExtensionMinutes) {
    return {
      decision: 'rollback',
      rollbackKind: 'inconclusive',
      reasons: [
        `inconclusive, no regression found: not enough traffic to judge after extending the step by ${extension} minutes (limit ${maxExtensionMinutes})${assessment.reasons[0] ? ` — ${assessment.reasons[0]}` : ''}`,
        ...assessment.reasons.slice(1),
      ],
    };
  }
  // The line people read first says why the step is held (the judge's first reason), not only that it is.
  const [why, ...rest] = assessment.reasons;
  return {
    decision: 'hold',
    reasons: [`extending the step (${extension} of at most ${maxExtensionMinutes} extra minutes): ${why ?? 'not enough evidence yet'}`, ...rest],
  };
}
