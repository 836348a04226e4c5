import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AliasChangedError, AliasNotFoundError, FunctionNotFoundError, ThrottledError } from '../../src/core/errors.ts';
import type { VersionMetricsQuery } from '../../src/core/ports.ts';
import { createSimAccount, SIM_START, type SimAccount } from '../../src/sim/account/index.ts';
import { apiMinuteSource, type MinuteSource } from '../../src/sim/minute-source.ts';
import { scenarioMaker } from '../helpers/factories.ts';

const scenario = scenarioMaker({
  name: 'test',
  minutes: 60,
  traffic: { requestsPerMinute: 600 },
  stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
  candidate: { errorRate: 0.02 },
});

const at = (minutes: number) => new Date(Date.parse(SIM_START) + minutes * 60_000).toISOString();

function query(start: string, end: string, extra: Partial<VersionMetricsQuery> = {}): VersionMetricsQuery {
  return { functionName: 'checkout', alias: 'live', stableVersion: '12', candidateVersion: '13', start, end, ...extra };
}

async function shift(account: SimAccount, weight: number): Promise<void> {
  const alias = await account.ports.router.getAlias('checkout', 'live');
  await account.ports.router.updateAlias('checkout', 'live', { weights: { '13': weight } }, alias.revisionId);
}

describe('createSimAccount', () => {
  describe('the alias', () => {
    it('starts on the stable version with no routing, at the fixed start time', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });

      const alias = await account.ports.router.getAlias('checkout', 'live');

      expect(alias).toMatchObject({ functionName: 'checkout', name: 'live', version: '12', weights: {} });
      expect(account.clock.now().toISOString()).toBe(SIM_START);
    });

    it('gives the alias a new RevisionId on every update', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      const seen = new Set<string>();
      let alias = await account.ports.router.getAlias('checkout', 'live');
      seen.add(alias.revisionId);

      for (const weight of [10, 25, 50]) {
        alias = await account.ports.router.updateAlias('checkout', 'live', { weights: { '13': weight } }, alias.revisionId);
        seen.add(alias.revisionId);
      }
      account.changeAliasByHand({ weights: {} });
      seen.add(account.aliasNow().revisionId);

      expect(seen.size).toBe(5);
    });

    it('refuses an update against a stale revision and leaves the alias as it was', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      const before = await account.ports.router.getAlias('checkout', 'live');
      account.changeAliasByHand({ description: 'someone was here' });

      const update = account.ports.router.updateAlias('checkout', 'live', { weights: { '13': 10 } }, before.revisionId);

      await expect(update).rejects.toBeInstanceOf(AliasChangedError);
      expect(account.aliasNow()).toMatchObject({ version: '12', weights: {}, description: 'someone was here' });
    });

    it('says which is missing, the function or the alias, as Lambda does', async () => {
      const { router, functions } = createSimAccount(scenario(), { seed: 1 }).ports;

      await expect(router.getAlias('nope', 'live')).rejects.toBeInstanceOf(FunctionNotFoundError);
      await expect(router.getAlias('checkout', 'prod')).rejects.toBeInstanceOf(AliasNotFoundError);
      await expect(functions.getFunction('nope')).rejects.toBeInstanceOf(FunctionNotFoundError);
    });

    it('describes the function with its published versions, timeout and tags', async () => {
      const account = createSimAccount(scenario({ account: { functionName: 'orders', stableVersion: 3, candidateVersion: 5, tags: { team: 'a' }, timeoutSeconds: 10 } }), { seed: 1 });

      const fn = await account.ports.functions.getFunction('orders');

      expect(fn).toMatchObject({ functionName: 'orders', versions: ['1', '2', '3', '4', '5'], timeoutSeconds: 10, tags: { team: 'a' } });
      expect((await account.ports.router.getAlias('orders', 'live')).version).toBe('3');
    });
  });

  describe('metrics', () => {
    it('reports no datapoint for a version that served nothing in a minute', async () => {
      const account = createSimAccount(scenario(), { seed: 3 });
      account.advanceTo(at(5));

      const window = await account.ports.metrics.versionMinutes(query(at(0), at(5)));

      expect(window.minutes).toHaveLength(5);
      for (const minute of window.minutes) {
        expect(minute.candidate).toBeNull();
        expect(minute.stable?.invocations).toBeGreaterThan(0);
      }
    });

    it('never reports a datapoint with no invocations, whatever the weight', async () => {
      // A trickle of traffic so that some minutes have nothing on one side.
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 1000 }), async (weight, seed) => {
          const account = createSimAccount(scenario({ traffic: { requestsPerMinute: 3 } }), { seed });
          const alias = await account.ports.router.getAlias('checkout', 'live');
          await account.ports.router.updateAlias('checkout', 'live', weight === 100 ? { version: '13', weights: {} } : { weights: { '13': weight } }, alias.revisionId);
          account.advanceTo(at(10));

          const window = await account.ports.metrics.versionMinutes(query(at(0), at(10)));

          for (const minute of window.minutes) {
            for (const figures of [minute.stable, minute.candidate]) {
              if (figures !== null) expect(figures.invocations + figures.errors + figures.throttles).toBeGreaterThan(0);
            }
          }
          if (weight === 0) expect(window.minutes.every((minute) => minute.candidate === null)).toBe(true);
        }),
        { numRuns: 40 },
      );
    });

    it('splits traffic by the routing in force during each minute', async () => {
      const account = createSimAccount(scenario(), { seed: 5 });
      await shift(account, 25);
      account.advanceTo(at(30));

      const window = await account.ports.metrics.versionMinutes(query(at(0), at(30)));
      const candidate = window.minutes.reduce((sum, minute) => sum + (minute.candidate?.invocations ?? 0), 0);
      const stable = window.minutes.reduce((sum, minute) => sum + (minute.stable?.invocations ?? 0), 0);

      expect(candidate / (candidate + stable)).toBeGreaterThan(0.22);
      expect(candidate / (candidate + stable)).toBeLessThan(0.28);
      expect(account.history().filter((minute) => minute.index >= 30).every((minute) => minute.weight === 25)).toBe(true);
    });

    it('counts a shift in mid-minute for the part of the minute after it', async () => {
      const account = createSimAccount(scenario(), { seed: 5 });
      account.advanceTo(new Date(Date.parse(SIM_START) + 30_000));
      await shift(account, 10);
      account.advanceTo(at(2));

      const [first, second] = account.history().slice(-2);

      expect(first!.weight).toBeCloseTo(5, 6);
      expect(second!.weight).toBe(10);
    });

    it('returns only the minutes that have been generated', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      account.advanceTo(new Date(Date.parse(at(3)) + 59_000));

      const window = await account.ports.metrics.versionMinutes(query(at(0), at(10)));

      expect(window.minutes.map((minute) => minute.minute)).toEqual([at(0), at(1), at(2)]);
    });

    it('never moves the clock back', () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      account.advanceTo(at(5));

      account.advanceTo(at(2));

      expect(account.clock.now().toISOString()).toBe(at(5));
      expect(account.history()).toHaveLength(30 + 5);
    });

    it('draws slow counts at query time, the same for the same query, never above the invocations', async () => {
      const account = createSimAccount(scenario(), { seed: 9 });
      await shift(account, 50);
      account.advanceTo(at(20));

      const first = await account.ports.metrics.versionMinutes(query(at(0), at(20), { slowThresholdMs: 300 }));
      const again = await account.ports.metrics.versionMinutes(query(at(0), at(20), { slowThresholdMs: 300 }));
      const without = await account.ports.metrics.versionMinutes(query(at(0), at(20)));

      expect(again).toEqual(first);
      for (const minute of first.minutes) {
        expect(minute.candidate!.slow).toBeLessThanOrEqual(minute.candidate!.invocations);
        expect(minute.stable!.slow).toBeLessThanOrEqual(minute.stable!.invocations);
      }
      expect(without.minutes.every((minute) => minute.candidate!.slow === undefined)).toBe(true);
    });

    it('reads the baseline from the stable-only warm-up before the start', async () => {
      const account = createSimAccount(scenario(), { seed: 2 });

      const baseline = await account.ports.metrics.baseline({ functionName: 'checkout', alias: 'live', version: '12', start: at(-16), end: at(-1), percentile: 99 });

      expect(baseline.minutes).toBe(15);
      expect(baseline.invocations).toBeGreaterThan(15 * 500);
      expect(baseline.errors).toBeGreaterThan(0);
      // Stable's p99 (400 ms) as CloudWatch measures it over the window's invocations: near the truth, not exactly it.
      expect(baseline.latencyThresholdMs).toBeGreaterThan(0.95 * 400);
      expect(baseline.latencyThresholdMs).toBeLessThan(1.05 * 400);
    });

    it('counts excess failures only on what the candidate served, never below zero', async () => {
      const unshifted = createSimAccount(scenario(), { seed: 4 });
      unshifted.runToHorizon();
      const shifted = createSimAccount(scenario(), { seed: 4 });
      await shift(shifted, 50);
      shifted.runToHorizon();
      const healthy = createSimAccount(scenario({ candidate: {} }), { seed: 4 });
      await shift(healthy, 50);
      healthy.runToHorizon();

      expect(unshifted.excessFailures()).toBe(0);
      // 60 minutes × ~300 candidate requests × (0.02 − 0.005) ≈ 270.
      expect(shifted.excessFailures()).toBeGreaterThan(150);
      expect(healthy.excessFailures()).toBeGreaterThanOrEqual(0);
      expect(healthy.excessFailures()).toBeLessThan(shifted.excessFailures());
    });

    it('runs to the horizon: the scenario minutes after the first shift', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      account.advanceTo(at(7));
      await shift(account, 10);

      account.runToHorizon();

      expect(account.clock.now().toISOString()).toBe(at(7 + 60));
    });
  });

  describe('the traffic seam', () => {
    it('tells a source of every routing change when it happens, and asks for each minute once, in order', async () => {
      const heard: { at: string; share: number }[] = [];
      const asked: number[] = [];
      const account = createSimAccount(scenario(), {
        seed: 1,
        source: ({ scenario: s, seed }) => {
          const api = apiMinuteSource(s, seed);
          const source: MinuteSource = {
            ...api,
            minute: (context) => {
              asked.push(context.index);
              return api.minute(context);
            },
            routingChanged: (time, share) => void heard.push({ at: time.toISOString(), share }),
            slowCount: () => 7,
          };
          return source;
        },
      });
      account.advanceTo(new Date(Date.parse(at(2)) + 15_000));
      await shift(account, 20);
      account.advanceTo(at(4));

      const window = await account.ports.metrics.versionMinutes(query(at(3), at(4), { slowThresholdMs: 400 }));

      expect(heard).toEqual([{ at: new Date(Date.parse(at(2)) + 15_000).toISOString(), share: 0.2 }]);
      expect(asked).toEqual(Array.from({ length: 34 }, (_, index) => index));
      expect(window.minutes[0]!.candidate!.slow).toBe(7);
    });
  });

  describe('determinism', () => {
    async function replay(seed: number) {
      const account = createSimAccount(scenario(), { seed });
      await shift(account, 10);
      account.advanceTo(at(12));
      await shift(account, 50);
      account.advanceTo(at(30));
      const window = await account.ports.metrics.versionMinutes(query(at(-30), at(30), { slowThresholdMs: 350 }));
      return { window, alias: account.aliasNow(), series: account.series() };
    }

    it('gives the same minutes, revisions and series for the same seed', async () => {
      expect(await replay(11)).toEqual(await replay(11));
    });

    it('gives different traffic for another seed', async () => {
      const [a, b] = [await replay(11), await replay(12)];

      expect(a.window.minutes.map((minute) => minute.stable?.invocations)).not.toEqual(b.window.minutes.map((minute) => minute.stable?.invocations));
    });
  });

  describe('faults', () => {
    it('throws an injected error for as many calls as asked, then works', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      account.faults.inject({ call: 'router.getAlias', error: () => new ThrottledError('Rate exceeded'), times: 2 });

      await expect(account.ports.router.getAlias('checkout', 'live')).rejects.toBeInstanceOf(ThrottledError);
      await expect(account.ports.router.getAlias('checkout', 'live')).rejects.toBeInstanceOf(ThrottledError);
      await expect(account.ports.router.getAlias('checkout', 'live')).resolves.toMatchObject({ version: '12' });
      expect(account.faults.count('router.getAlias')).toBe(3);
    });

    it('runs a hook before the call, so a change by hand beats the update', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      account.faults.before('router.updateAlias', () => void account.changeAliasByHand({ version: '11' }), { times: 1 });
      const alias = await account.ports.router.getAlias('checkout', 'live');

      await expect(account.ports.router.updateAlias('checkout', 'live', { weights: { '13': 10 } }, alias.revisionId)).rejects.toBeInstanceOf(AliasChangedError);
      expect(account.aliasNow()).toMatchObject({ version: '11', weights: {} });
    });

    it('drops every datapoint from a minute after the first shift on', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      await shift(account, 10);
      account.faults.dropMetrics(3);
      account.advanceTo(at(6));

      const window = await account.ports.metrics.versionMinutes(query(at(0), at(6)));

      expect(window.minutes.map((minute) => minute.stable !== null)).toEqual([true, true, true, false, false, false]);
      expect(window.minutes.slice(3).every((minute) => minute.candidate === null)).toBe(true);
    });

    it('turns a failed metrics query into a measurement failure, not an exception', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      account.advanceTo(at(3));
      account.faults.failMetrics({ message: 'GetMetricData: ServiceUnavailable', times: 1 });

      const failed = await account.ports.metrics.versionMinutes(query(at(0), at(3)));
      const next = await account.ports.metrics.versionMinutes(query(at(0), at(3)));

      expect(failed).toEqual({ minutes: [], failures: [{ metric: 'versionMinutes', message: 'GetMetricData: ServiceUnavailable' }] });
      expect(next.minutes).toHaveLength(3);
    });

    it('does a scheduled thing when the clock reaches it, minutes counted from the first shift', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      const seen: string[] = [];
      account.at(3, () => {
        seen.push(account.clock.now().toISOString());
        account.changeAliasByHand({ weights: {} });
      });
      account.advanceTo(at(2));
      await shift(account, 10);

      account.advanceTo(at(10));

      expect(seen).toEqual([at(5)]);
      expect(account.history().filter((minute) => minute.weight > 0).map((minute) => minute.minute)).toEqual([at(2), at(3), at(4)]);
    });

    it('records published events at the simulated time, and can fail them', async () => {
      const account = createSimAccount(scenario(), { seed: 1 });
      account.advanceTo(at(4));
      await account.putEvents([{ EventBusName: 'bus', Source: 'coalmine', DetailType: 'Canary Promoted', Detail: { result: 'promoted' } }]);
      account.faults.inject({ call: 'events.putEvents', error: () => new Error('EventBridge down') });

      await expect(account.putEvents([{ Source: 'coalmine', DetailType: 'Canary Failed', Detail: '{}' }])).rejects.toThrow('EventBridge down');
      expect(account.events).toEqual([{ at: at(4), eventBusName: 'bus', source: 'coalmine', detailType: 'Canary Promoted', detail: { result: 'promoted' } }]);
    });
  });
});
