import { describe, expect, it } from 'vitest';
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
