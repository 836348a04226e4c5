import { describe, expect, it } from 'vitest';
import { applyControls, type ControlInput } from '../../src/core/controls.ts';
import type { DecideResult } from '../../src/core/decide.ts';

const NOW = new Date('2026-01-05T10:30:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const base: ControlInput = { control: undefined, now: NOW, limitMinutes: 120, step: 'step 2 of 3 (25%)' };
const advance: DecideResult = { decision: 'advance', reasons: ['no harm found'] };
const promote: DecideResult = { decision: 'promote', reasons: ['shown under the bar'] };
const regression: DecideResult = { decision: 'rollback', rollbackKind: 'regression', reasons: ['candidate fails 3× as often'] };
const inconclusive: DecideResult = { decision: 'rollback', rollbackKind: 'inconclusive', reasons: ['not enough traffic'] };

describe('operator controls at a look', () => {
  it('leave the decision as it is when nobody asked for anything', () => {
    expect(applyControls(advance, base)).toEqual(advance);
  });

  it('pause turns an advance or a promotion into a hold, saying an operator asked and for how long at most', () => {
    const held = applyControls(advance, { ...base, control: 'pause', pausedSince: minutesAgo(20) });

    expect(held).toEqual({
      decision: 'hold',
      reasons: ['paused by an operator (coalmine pause) at step 2 of 3 (25%): holding the weights for at most 100 more minutes (coalmine resume releases them); a regression still rolls back', 'no harm found'],
      pausedSince: minutesAgo(20),
    });
    expect(applyControls(promote, { ...base, control: 'pause' })).toMatchObject({ decision: 'hold', pausedSince: NOW.toISOString() });
  });

  it('never hides a regression: paused, promoted or waiting, a regression rolls back', () => {
    for (const control of ['pause', 'promote'] as const) expect(applyControls(regression, { ...base, control })).toEqual(regression);
    expect(applyControls(regression, { ...base, approval: 'before-promote' })).toEqual(regression);
  });

  it('a pause ends at its limit in a rollback to stable, as inconclusive', () => {
    expect(applyControls(advance, { ...base, control: 'pause', pausedSince: minutesAgo(120) })).toMatchObject({ decision: 'rollback', rollbackKind: 'inconclusive', reasons: [expect.stringMatching(/^paused for 120 minutes, the limit/), 'no harm found'] });
  });

  it('promote promotes at once, from any step, over a judge that could not decide', () => {
    expect(applyControls(inconclusive, { ...base, control: 'promote' })).toEqual({ decision: 'promote', reasons: ['promoted by an operator (coalmine promote) at step 2 of 3 (25%), skipping the steps left', 'not enough traffic'] });
  });

  it('with approval before promotion, a promotion waits for a person, from the first look that would promote, within the limit', () => {
    const first = applyControls(promote, { ...base, approval: 'before-promote' });
    expect(first).toEqual({
      decision: 'await-approval',
      reasons: ['awaiting approval at step 2 of 3 (25%): the judge would promote; coalmine approve or reject, within 120 more minutes', 'shown under the bar'],
      awaitingApprovalSince: NOW.toISOString(),
    });
    expect(applyControls(promote, { ...base, approval: 'before-promote', awaitingApprovalSince: minutesAgo(119) })).toMatchObject({ decision: 'await-approval', awaitingApprovalSince: minutesAgo(119) });
    expect(applyControls(promote, { ...base, approval: 'before-promote', awaitingApprovalSince: minutesAgo(120) })).toMatchObject({ decision: 'rollback', rollbackKind: 'inconclusive', reasons: [expect.stringMatching(/^no approval within 120 minutes/), 'shown under the bar'] });
    // A look that does not promote keeps the wait's start, so pauses in between do not reset it.
    expect(applyControls(advance, { ...base, approval: 'before-promote', awaitingApprovalSince: minutesAgo(5) })).toEqual({ ...advance, awaitingApprovalSince: minutesAgo(5) });
  });

  it('a paused canary does not ask for approval; an operator promote skips it', () => {
    expect(applyControls(promote, { ...base, approval: 'before-promote', control: 'pause' }).decision).toBe('hold');
    expect(applyControls(promote, { ...base, approval: 'before-promote', control: 'promote' }).decision).toBe('promote');
  });
});
