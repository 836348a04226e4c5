import { describe, expect, it } from 'vitest';
import { assess } from '../../src/core/judge/index.ts';
import type { CanaryState } from '../../src/core/state.ts';
import { createSteps } from '../../src/core/steps/index.ts';
import { createRestore } from '../../src/core/steps/restore.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

// A release putting back an alias it promoted: only if nobody changed it since.

function promotedAccount() {
  const account = createSimAccount(loadScenario('healthy'), { seed: 1 });
  const { router } = account.ports;
  return { account, router, restore: createRestore({ router }) };
}
const target = { region: 'us-east-1', functionName: 'checkout', alias: 'live', stableVersion: '12', candidateVersion: '13' };

describe('restore', () => {
  it('puts an alias the release promoted back on its stable version, with no routing', async () => {
    const { account, router, restore } = promotedAccount();
    await router.updateAlias('checkout', 'live', { version: '13', weights: {} }, account.aliasNow().revisionId);

    await expect(restore(target)).resolves.toMatchObject({ restored: true, reason: 'put back on version 12' });
    expect(account.aliasNow()).toMatchObject({ version: '12', weights: {} });
  });

  it('leaves an alias someone changed since the release promoted it as it is', async () => {
    const { account, restore } = promotedAccount();
    await account.ports.router.updateAlias('checkout', 'live', { version: '12', weights: { '13': 20 } }, account.aliasNow().revisionId);

    await expect(restore(target)).resolves.toMatchObject({ restored: false, reason: expect.stringMatching(/^left as it is/) });
    expect(account.aliasNow()).toMatchObject({ version: '12', weights: { '13': 20 } });
  });

  it('counts an alias already on its stable version as restored (a retry after a lost answer)', async () => {
    const { restore } = promotedAccount();
    await expect(restore(target)).resolves.toMatchObject({ restored: true, version: '12' });
  });

  it('refuses a payload without the stable version before touching anything', async () => {
    const { restore } = promotedAccount();
    await expect(restore({ ...target, stableVersion: undefined })).rejects.toMatchObject({ name: 'InvalidRequestError' });
  });
});

// A canary whose judging after promotion found a regression: only an alias exactly as Promote left it.
describe('restore after promotion', () => {
  const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:coalmine-canary:bake-test', name: 'bake-test' };

  async function promotedCanary() {
    const account = createSimAccount(loadScenario('healthy'), { seed: 1 });
    const original = account.aliasNow().description;
    const steps = createSteps(account.ports, { judge: assess });
    const planned = (await steps.plan({ request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', postPromotionMinutes: 30 }, execution })) as CanaryState;
    const promoted = await steps.promote({ state: planned, execution });
    const regressed: CanaryState = { ...promoted, progress: { ...promoted.progress, decision: 'rollback' }, verdict: { decision: 'rollback', rollbackKind: 'regression', reasons: ['after promotion, the promoted version fails above the bar'], figures: {} } };
    return { account, original, steps, promoted, regressed };
  }

  it('starts judging after promotion: the alias on the candidate and let go, no outcome yet', async () => {
    const { account, original, promoted } = await promotedCanary();

    expect(account.aliasNow()).toMatchObject({ version: '13', weights: {}, description: original });
    expect(promoted.outcome).toBeUndefined();
    expect(promoted.progress).toMatchObject({ weight: 100, decision: 'hold', revisionId: account.aliasNow().revisionId, bake: { requests: 0, errors: 0 } });
    expect(Date.parse(promoted.progress.bake!.until) - Date.parse(promoted.progress.judgedUntil!)).toBe(30 * 60_000);
  });

  it('puts the stable version back and ends promoted, then restored', async () => {
    const { account, original, steps, regressed } = await promotedCanary();

    const ended = await steps.restore({ state: regressed, execution });

    expect(account.aliasNow()).toMatchObject({ version: '12', weights: {}, description: original });
    expect(ended.outcome).toMatchObject({ result: 'rolled-back', rollbackKind: 'regression', restoredAfterPromotion: true, promotedAt: regressed.progress.bake!.promotedAt, alias: { version: '12', routing: {} } });
    expect(ended.outcome!.reason).toMatch(/^promoted at \S+, then restored: after promotion, the promoted version fails above the bar$/);
    expect(ended.status).toMatch(/^Promoted, then restored: checkout:live is on version 12/);
  });

  it('leaves an alias someone changed since the promotion, even one still on the candidate, and says so', async () => {
    const { account, steps, regressed } = await promotedCanary();
    account.changeAliasByHand({ description: 'pinned by the on-call' });

    await expect(steps.restore({ state: regressed, execution })).rejects.toMatchObject({ name: 'AliasChangedError', message: expect.stringMatching(/someone changed it since the canary promoted version 13/) });
    expect(account.aliasNow()).toMatchObject({ version: '13', description: 'pinned by the on-call' });
  });

  it('counts an alias already back on stable as restored (a retry after a lost answer)', async () => {
    const { steps, regressed } = await promotedCanary();
    await steps.restore({ state: regressed, execution });

    await expect(steps.restore({ state: regressed, execution })).resolves.toMatchObject({ outcome: { restoredAfterPromotion: true, alias: { version: '12' } } });
  });
});
