/**
 * Metrics that are still arriving: Lambda stamps an invocation's metrics with its start time and
 * sends them when it ends. A candidate whose failures are time-outs on a function with a long
 * timeout looks healthy in every minute read one settle period after it closed; Evaluate's re-read
 * of the minutes still filling is what catches it.
 */
import { describe, expect, it } from 'vitest';
import { assess } from '../../src/core/judge/index.ts';
import { minutesUntilComplete, rereadFrom, withLateArrivals } from '../../src/core/late-metrics.ts';
import type { MinuteObservation, Ports } from '../../src/core/ports.ts';
import { createSteps } from '../../src/core/steps/index.ts';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

/** 600 requests a minute; a 10-minute timeout; one candidate invocation in ten hangs until it. */
const TIMEOUT_STORM = parseScenario(
  {
    name: 'timeout-storm',
    description: 'the candidate hangs until the 10-minute timeout on one invocation in ten',
    expect: 'rollback',
    minutes: 90,
    traffic: { requestsPerMinute: 600 },
    stable: { errorRate: 0.005 },
    candidate: { timeoutRate: 0.1 },
    account: { timeoutSeconds: 600 },
  },
  'timeout-storm.json',
);

describe('a healthy candidate on a function with a 10-minute timeout', () => {
  it('is promoted only once the final step\'s first minute is complete, late arrivals included', async () => {
    const healthy = parseScenario({ ...TIMEOUT_STORM, name: 'slow-but-healthy', expect: 'promote', stable: { errorRate: 0.005, timeoutRate: 0.02 }, candidate: {} }, 'slow-but-healthy.json');

    const result = await runLocal({ scenario: healthy, seed: 2, account: createSimAccount(healthy, { seed: 2 }) });

    expect(result.outcome).toBe('promoted');
    const finalWeight = result.steps.at(-1)!.weight;
    const finalStepStart = result.steps.find((step) => step.weight === finalWeight)!.minute;
    expect(result.steps.at(-1)!.minute - finalStepStart).toBeGreaterThanOrEqual(minutesUntilComplete(600, 60) - 1);
  });
});

describe('a timeout storm on a function with a 10-minute timeout', () => {
  it('is caught because Evaluate re-reads the minutes whose invocations were still running', async () => {
    const result = await runLocal({ scenario: TIMEOUT_STORM, seed: 1, account: createSimAccount(TIMEOUT_STORM, { seed: 1 }) });

    expect(result).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'regression', alias: { version: '12' } });
    // The time-outs of a minute arrive from 10 minutes after it: the verdict cannot come before them.
    expect(result.minutesToDecision).toBeGreaterThanOrEqual(10);
  });

  it('is promoted when Evaluate does not wait for them (as if the timeout were 1 s): the minutes look healthy when first read', async () => {
    const account = createSimAccount(TIMEOUT_STORM, { seed: 1 });
    const unawareOfTimeout = (ports: Ports) =>
      createSteps({ ...ports, functions: { ...ports.functions, getFunction: async (name: string) => ({ ...(await ports.functions.getFunction(name)), timeoutSeconds: 1 }) } }, { judge: assess });

    // A named strategy keeps its own pace: the plan does not tighten the bar to fill today's 20 minutes,
    // so a candidate that looks as good as stable is promoted within the budget.
    const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: { steps: [10, 25, 50], intervalMinutes: 5 } };
    const result = await runLocal({ scenario: TIMEOUT_STORM, seed: 1, account, request, steps: unawareOfTimeout });

    expect(result.outcome).toBe('promoted');
  });
});

const minute = (at: string, candidate: [number, number], stable: [number, number]): MinuteObservation => ({
  minute: at,
  candidate: { invocations: candidate[0], errors: candidate[1], throttles: 0 },
  stable: { invocations: stable[0], errors: stable[1], throttles: 0 },
});

describe('withLateArrivals', () => {
  const judgedUntil = new Date('2026-01-05T09:02:00Z');
  const from = new Date('2026-01-05T09:00:00Z');

  it('hands the judge only what arrived since a judged minute was last read, judged on the minute\'s share', () => {
    const seen = { '2026-01-05T09:01:00.000Z': [90, 0, 0, 0, 900, 4, 0, 0] };
    const { minutes, seen: next, lateMinutes } = withLateArrivals(
      [minute('2026-01-05T09:01:00.000Z', [100, 10], [900, 4]), minute('2026-01-05T09:02:00.000Z', [95, 0], [905, 5])],
      seen,
      judgedUntil,
      from,
    );

    expect(lateMinutes).toBe(1);
    expect(minutes[0]).toEqual({
      minute: '2026-01-05T09:01:00.000Z',
      candidate: { invocations: 10, errors: 10, throttles: 0 },
      stable: { invocations: 0, errors: 0, throttles: 0 },
      lateFor: { candidateInvocations: 100, stableInvocations: 900 },
    });
    expect(minutes[1]!.minute).toBe('2026-01-05T09:02:00.000Z');
    expect(next['2026-01-05T09:02:00.000Z']).toEqual([95, 0, 0, 0, 905, 5, 0, 0]);
  });

  it('adds nothing for a judged minute read with less than before, nor for one it never counted', () => {
    const seen = { '2026-01-05T09:01:00.000Z': [100, 10, 0, 0, 900, 4, 0, 0] };
    const { minutes } = withLateArrivals([minute('2026-01-05T09:00:00.000Z', [50, 0], [50, 0]), minute('2026-01-05T09:01:00.000Z', [60, 1], [900, 4])], seen, judgedUntil, from);

    expect(minutes).toEqual([]);
  });

  it('re-reads as far back as the timeout and the settle period reach, never past what is judged', () => {
    const now = new Date('2026-01-05T09:30:30Z');
    expect(rereadFrom({ now, settleSeconds: 60, timeoutSeconds: 900, judgedUntil: new Date('2026-01-05T09:29:00Z') }).toISOString()).toBe('2026-01-05T09:13:00.000Z');
    expect(rereadFrom({ now, settleSeconds: 60, timeoutSeconds: 900, judgedUntil: new Date('2026-01-05T09:10:00Z') }).toISOString()).toBe('2026-01-05T09:10:00.000Z');
  });
});
