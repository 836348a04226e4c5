/**
 * Alarm holds through the real statemachine/canary.asl.json: "Read the alarms" asks CloudWatch which
 * of the gate's alarms are in ALARM before every look, and while any fires the canary neither
 * advances nor promotes; a hold that outlasts the step's extension ends on stable, as inconclusive.
 */
import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const ORIGINAL = 'checkout production alias';
const STRATEGY = { steps: [20, 50], intervalMinutes: 2 };

async function run(alarmTimes: { fires: number; clears?: number }, analysis: Record<string, unknown> = {}) {
  const scenario = parseScenario(
    { name: 'alarm-hold', minutes: 60, traffic: { requestsPerMinute: 6000 }, stable: { errorRate: 0.001 }, strategy: STRATEGY, account: { description: ORIGINAL, alarms: { 'checkout-5xx': 'OK', 'payments-latency': 'OK' } } },
    'alarm-hold.json',
  );
  const account = createSimAccount(scenario, { seed: 1 });
  account.at(alarmTimes.fires, () => account.setAlarm('checkout-5xx', 'ALARM'));
  if (alarmTimes.clears !== undefined) account.at(alarmTimes.clears, () => account.setAlarm('checkout-5xx', 'OK'));
  const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: STRATEGY, analysis, gates: { alarms: ['payments-latency', 'checkout-5xx'] } };
  const result = await runLocal({ scenario, seed: 1, account, request });
  return { account, result };
}

describe('a canary whose gate alarm fires while it runs', () => {
  it('holds while the alarm is in ALARM, says why, and goes on once it clears', async () => {
    const { account, result } = await run({ fires: 0.5, clears: 9 });

    const whileFiring = result.steps.filter((step) => step.minute > 1 && step.minute < 9);
    expect(whileFiring.length).toBeGreaterThan(3);
    expect(whileFiring.map((step) => step.decision)).toEqual(whileFiring.map(() => 'hold'));
    expect(whileFiring.every((step) => step.weight === 20)).toBe(true);
    expect(whileFiring[whileFiring.length - 1]!.reasons[0]).toMatch(/^holding: alarm "checkout-5xx" is in ALARM \(gates\.alarms\); the canary does not advance or promote while it fires/);
    expect(result.steps.some((step) => step.minute >= 9 && step.decision === 'advance')).toBe(true);
    expect(result.outcome).toBe('promoted');
    expect(account.aliasNow()).toMatchObject({ version: '13', weights: {}, description: ORIGINAL });
  });

  it('ends on stable, as inconclusive, when the alarm outlasts the step’s extension', async () => {
    const { account, result } = await run({ fires: 0.5 }, { maxExtensionMinutes: 5 });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('inconclusive');
    expect(result.reason).toMatch(/held past the step's 5-minute extension while alarm "checkout-5xx" is in ALARM \(gates\.alarms\); back to stable, no regression found/);
    expect(result.steps.some((step) => step.decision === 'advance' && step.minute > 1)).toBe(false);
    expect(account.aliasNow()).toMatchObject({ version: '12', weights: {}, description: ORIGINAL });
  });

  it('never holds a canary whose gate alarms stay OK', async () => {
    const { result } = await run({ fires: 1000 });

    expect(result.outcome).toBe('promoted');
    expect(result.steps.flatMap((step) => step.reasons).some((reason) => reason.startsWith('holding: alarm'))).toBe(false);
  });
});
