/**
 * Release gates through the real statemachine/canary.asl.json: Plan refuses to start while an alarm
 * named in `gates.alarms` is in ALARM, and refuses a name with no alarm, before it touches the alias.
 */
import { describe, expect, it } from 'vitest';
import { AccessDeniedError, ThrottledError } from '../../src/core/errors.ts';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const ORIGINAL = 'checkout production alias';

async function run(alarms: Record<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'>, names: string[], startWindows?: unknown[], fault?: () => Error) {
  const scenario = parseScenario(
    { name: 'gates', minutes: 30, traffic: { requestsPerMinute: 6000 }, stable: { errorRate: 0.001 }, strategy: { steps: [20, 50], intervalMinutes: 1 }, account: { description: ORIGINAL, alarms } },
    'gates.json',
  );
  const account = createSimAccount(scenario, { seed: 1 });
  if (fault) account.faults.inject({ call: 'alarms.states', error: fault });
  const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: { steps: [20, 50], intervalMinutes: 1 }, gates: { alarms: names, ...(startWindows ? { startWindows } : {}) } };
  const result = await runLocal({ scenario, seed: 1, account, request });
  return { account, result };
}

describe('release gates', () => {
  it('does not start while a named alarm is in ALARM, and says which', async () => {
    const { account, result } = await run({ 'checkout-5xx': 'ALARM', 'payments-latency': 'OK' }, ['payments-latency', 'checkout-5xx']);

    expect(result.outcome).toBe('failed');
    expect(result.errorName).toBe('ReleaseBlockedError');
    expect(result.reason).toMatch(/gates\.alarms: alarm "checkout-5xx" is in ALARM; the canary does not start while it fires/);
    expect(account.aliasNow()).toMatchObject({ version: '12', weights: {}, description: ORIGINAL });
    expect(account.faults.count('router.updateAlias')).toBe(0);
  });

  it('refuses an alarm name that names no alarm, so a typo never leaves the gate open', async () => {
    const { account, result } = await run({ 'checkout-5xx': 'OK' }, ['checkout-5xxx']);

    expect(result.errorName).toBe('InvalidRequestError');
    expect(result.reason).toMatch(/gates\.alarms: no CloudWatch alarm named "checkout-5xxx"/);
    expect(account.faults.count('router.updateAlias')).toBe(0);
  });

  it('starts and promotes when every named alarm is OK or has too little data', async () => {
    const { result } = await run({ 'checkout-5xx': 'OK', 'new-alarm': 'INSUFFICIENT_DATA' }, ['checkout-5xx', 'new-alarm']);

    expect(result.outcome).toBe('promoted');
  });

  // The simulated canary starts on Monday 5 January 2026 at 09:00 UTC (10:00 in Paris).
  it('does not start outside every start window, and says what time it is where', async () => {
    const { account, result } = await run({}, [], [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '11:00', to: '17:00', timeZone: 'Europe/Paris' }]);

    expect(result.errorName).toBe('ReleaseBlockedError');
    expect(result.reason).toMatch(/gates\.startWindows: it is Mon 10:00 in Europe\/Paris, outside every start window \(Mon,Tue,Wed,Thu,Fri 11:00-17:00 Europe\/Paris\); the canary does not start/);
    expect(account.faults.count('router.updateAlias')).toBe(0);
  });

  it('starts inside a start window, read in its own time zone', async () => {
    const { result } = await run({}, [], [{ days: ['Sat'], from: '00:00', to: '23:59' }, { days: ['Mon'], from: '04:00', to: '05:00', timeZone: 'America/New_York' }]);

    expect(result.outcome).toBe('promoted');
  });

  it.each([
    ['throttled past every retry', () => new ThrottledError('cloudwatch:DescribeAlarms: Throttling: Rate exceeded (injected)'), 'ThrottledError'],
    ['denied', () => new AccessDeniedError('cloudwatch:DescribeAlarms: AccessDenied (injected)'), 'AccessDeniedError'],
  ])('fails safe, the alias untouched, when reading the alarms is %s', async (_, fault, name) => {
    const { account, result } = await run({ 'checkout-5xx': 'OK' }, ['checkout-5xx'], undefined, fault);

    expect(result.outcome).toBe('failed');
    expect(result.errorName).toBe(name);
    expect(result.reason).toMatch(/DescribeAlarms/);
    expect(account.aliasNow()).toMatchObject({ version: '12', weights: {}, description: ORIGINAL });
    expect(account.faults.count('router.updateAlias')).toBe(0);
  });
});
