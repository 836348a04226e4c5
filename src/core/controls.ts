/**
 * What people ask of a running canary, applied to the judge's decision at a look: `coalmine pause`
 * and `coalmine promote` (read from the alias' owner mark, src/core/ownership.ts) and the request's
 * `approval: "before-promote"`. Safety first: a regression the judge found always rolls back, paused
 * or not; and no wait holds a split forever — a pause, and a wait for approval, each last at most
 * `analysis.maxExtensionMinutes` (the limit a step may be extended for lack of evidence), then the
 * canary rolls back to the stable version as inconclusive.
 *
 * @example
 * applyControls({ decision: 'advance', reasons: ['…'] }, { control: 'pause', now, limitMinutes: 120, step: 'step 2 of 4 (25%)' });
 * // → { decision: 'hold', reasons: ['paused by an operator (coalmine pause) at step 2 of 4 (25%): …', '…'], pausedSince: now }
 */
import type { DecideResult } from './decide.ts';
import type { OperatorControl } from './ownership.ts';
import { iso, minutesBetween } from './time.ts';

export interface ControlInput {
  /** The control in the alias' mark at this look, if any. */
  control: OperatorControl | undefined;
  /** The request's `approval`; undefined for none. */
  approval?: 'before-promote' | undefined;
  /** When the canary was first seen paused, and first waited for approval (the progress keeps both). */
  pausedSince?: string | undefined;
  awaitingApprovalSince?: string | undefined;
  now: Date;
  /** How long a pause, or a wait for approval, may last (`analysis.maxExtensionMinutes`). */
  limitMinutes: number;
  /** Where the canary stands, for people: `step 2 of 4 (25%)`. */
  step: string;
}

export interface Controlled extends DecideResult {
  pausedSince?: string;
  awaitingApprovalSince?: string;
}

export function applyControls(decided: DecideResult, input: ControlInput): Controlled {
  const { control, approval, now, limitMinutes, step } = input;
  const waits = input.awaitingApprovalSince ? { awaitingApprovalSince: input.awaitingApprovalSince } : {};
  if (decided.decision === 'rollback' && decided.rollbackKind === 'regression') return { ...decided, ...waits };
  if (control === 'promote') {
    return { decision: 'promote', reasons: [`promoted by an operator (coalmine promote) at ${step}, skipping the steps left`, ...decided.reasons] };
  }
  if (control === 'pause') {
    const pausedSince = input.pausedSince ?? iso(now);
    const paused = Math.max(0, Math.floor(minutesBetween(new Date(pausedSince), now)));
    if (paused >= limitMinutes) {
      return { decision: 'rollback', rollbackKind: 'inconclusive', reasons: [`paused for ${paused} minutes, the limit (analysis.maxExtensionMinutes): rolled back to the stable version rather than hold the split longer`, ...decided.reasons], ...waits };
    }
    return {
      decision: 'hold',
      reasons: [`paused by an operator (coalmine pause) at ${step}: holding the weights for at most ${limitMinutes - paused} more minutes (coalmine resume releases them); a regression still rolls back`, ...decided.reasons],
      pausedSince,
      ...waits,
    };
  }
  if (approval === 'before-promote' && decided.decision === 'promote') {
    const awaitingApprovalSince = input.awaitingApprovalSince ?? iso(now);
    const waited = Math.max(0, Math.floor(minutesBetween(new Date(awaitingApprovalSince), now)));
    if (waited >= limitMinutes) {
      return { decision: 'rollback', rollbackKind: 'inconclusive', reasons: [`no approval within ${waited} minutes, the limit (analysis.maxExtensionMinutes): rolled back to the stable version rather than hold the split longer`, ...decided.reasons], awaitingApprovalSince };
    }
    return {
      decision: 'await-approval',
      reasons: [`awaiting approval at ${step}: the judge would promote; coalmine approve or reject, within ${limitMinutes - waited} more minutes`, ...decided.reasons],
      awaitingApprovalSince,
    };
  }
  return { ...decided, ...waits };
}
