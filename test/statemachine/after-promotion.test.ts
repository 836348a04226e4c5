/**
 * Judging after promotion (`postPromotionMinutes`) through the real statemachine/canary.asl.json
 * and Coalmine's judge: the promoted version, now taking all traffic, is judged against the bar it
 * was promoted under; a healthy bake ends promoted, a regression restores the stable version and the
 * execution ends promoted, then restored (CanaryRestored, exit 5).
 */
import { describe, expect, it } from 'vitest';
import { exitCodeForOutcome } from '../../src/cli/exit-codes.ts';
import type { ExecutionEvent } from '../../src/local/record.ts';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount, type SimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const ORIGINAL = 'checkout production alias';
const STRATEGY = { steps: [20, 50], intervalMinutes: 2 };

async function run(options: { candidate?: Record<string, unknown>; postPromotionMinutes?: number; arrange?: (account: SimAccount) => void } = {}) {
  const scenario = parseScenario(
    { name: 'after-promotion', minutes: 60, traffic: { requestsPerMinute: 3000 }, stable: { errorRate: 0.001 }, ...(options.candidate ? { candidate: options.candidate } : {}), strategy: STRATEGY, account: { description: ORIGINAL } },
    'after-promotion.json',
  );
  const account = createSimAccount(scenario, { seed: 1 });
  options.arrange?.(account);
  const events: ExecutionEvent[] = [];
  const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: STRATEGY, ...(options.postPromotionMinutes === undefined ? {} : { postPromotionMinutes: options.postPromotionMinutes }) };
  const result = await runLocal({ scenario, seed: 1, account, request, onEvent: (event) => event.type === 'state' && events.push(event.event) });
  const path = events.filter((event) => event.type === 'StateEntered').map((event) => event.state!);
  return { account, result, path };
}

describe('a canary judged after promotion', () => {
  it('keeps judging the promoted version for postPromotionMinutes, then ends promoted', async () => {
    const { account, result, path } = await run({ postPromotionMinutes: 15 });

    expect(result.outcome).toBe('promoted');
    expect(result.restoredAfterPromotion).toBeUndefined();
    const after = result.steps.filter((step) => step.weight === 100);
    expect(after.length).toBeGreaterThanOrEqual(15);
    expect(after.slice(0, -1).every((step) => step.decision === 'hold')).toBe(true);
    expect(after[after.length - 1]!.reasons[0]).toMatch(/^promoted, and judged after promotion: no sign above the [\d.]+% bar it was promoted under: [\d.]+% errors since promotion/);
    expect(path.slice(-4)).toEqual(['Judge the promoted version', 'Still healthy after promotion?', 'Announce the promotion', 'Promoted']);
    expect(path).not.toContain('Restore the stable version');
    expect(account.aliasNow()).toMatchObject({ version: '13', weights: {}, description: ORIGINAL });
    const [announced] = account.events;
    expect(announced).toMatchObject({ detailType: 'Canary Promoted', detail: { result: 'promoted', promotedAt: expect.any(String) } });
  });

  it('restores the stable version when the promoted version regresses, and ends promoted, then restored (exit 5)', async () => {
    // The candidate is as good as stable through the canary, then fails 2% of requests.
    const { account, result, path } = await run({ postPromotionMinutes: 30, candidate: { errorRate: 0.02, fromMinute: 12 } });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.errorName).toBe('CanaryRestored');
    expect(result.restoredAfterPromotion).toBe(true);
    expect(result.reason).toMatch(/^promoted at \S+, then restored: after promotion, promoted version fails above the [\d.]+% bar it was promoted under, 99% sure: .*; restoring version 12$/);
    expect(exitCodeForOutcome(result.outcome, result.errorName, result.rollbackKind)).toBe(5);
    expect(path.slice(-5)).toEqual(['Restore the stable version', 'Which ending?', 'Announce the rollback', 'Regression or inconclusive?', 'Restored after promotion']);
    expect(account.aliasNow()).toMatchObject({ version: '12', weights: {}, description: ORIGINAL });
    expect(account.events.map((event) => event.detailType)).toEqual(['Canary Rolled Back']);
    expect(account.events[0]!.detail).toMatchObject({ result: 'rolled-back', rollbackKind: 'regression', restoredAfterPromotion: true, promotedAt: expect.any(String), alias: { version: '12', routing: {} } });
  });

  it('leaves an alias someone changed after the promotion as they left it, and stops judging it', async () => {
    let theirs: string | undefined;
    const { account, result } = await run({
      postPromotionMinutes: 30,
      candidate: { errorRate: 0.02, fromMinute: 12 },
      arrange: (account) => account.at(11, () => (theirs = account.changeAliasByHand({ version: '11', weights: {} }).version)),
    });

    expect(theirs).toBe('11');
    expect(result.outcome).toBe('failed');
    expect(result.errorName).toBe('AliasChangedError');
    expect(result.reason).toMatch(/changed by someone else after the promotion \(now version 11, no routing\); Coalmine stops judging it and leaves their change/);
    expect(account.aliasNow()).toMatchObject({ version: '11', weights: {} });
  });

  it('ends at promotion, as before, when the request asks for no judging after it', async () => {
    const { result, path } = await run();

    expect(result.outcome).toBe('promoted');
    expect(result.steps.some((step) => step.weight === 100)).toBe(false);
    expect(path.slice(-4)).toEqual(['Promote the candidate', 'Judge after promotion?', 'Announce the promotion', 'Promoted']);
  });
});
