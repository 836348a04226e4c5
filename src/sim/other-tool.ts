/**
 * Something other than Coalmine moving the simulated alias, for `coalmine watch --local`: it shifts
 * the alias on its own schedule, as CodeDeploy does with a deployment configuration, by hand (no
 * revision check, no owner mark, none of Coalmine's state machine), and promotes at the end whatever
 * the traffic shows — a deployment without alarms. The watch sees it only through the alias.
 *
 * @example
 * const account = createSimAccount(loadScenario('healthy'), { seed: 1 });
 * scheduleOtherTool(account, parseStrategy('Linear10PercentEvery3Minutes'), new Date('2026-01-05T09:02:00Z'));
 */
import type { Strategy } from '../core/strategy.ts';
import type { WatchPorts } from '../core/watch.ts';
import type { SimAccount } from './account/index.ts';

/** Schedules each weight of `strategy` from `startAt`, then the promotion; returns when it promotes. */
export function scheduleOtherTool(account: SimAccount, strategy: Strategy, startAt: Date): { promotesAt: Date } {
  const candidate = account.settings.candidateVersion;
  const at = (step: number) => new Date(startAt.getTime() + step * strategy.intervalMinutes * 60_000).toISOString();
  strategy.steps.forEach((weight, step) => account.at(at(step), () => account.changeAliasByHand({ weights: { [candidate]: weight } })));
  const promotesAt = at(strategy.steps.length);
  account.at(promotesAt, () => account.changeAliasByHand({ version: candidate, weights: {} }));
  return { promotesAt: new Date(promotesAt) };
}

/** The watch's ports on the simulated account: its alias (read only) and CloudWatch, its clock, moved by the watch's waits. */
export function simWatchPorts(account: SimAccount): WatchPorts {
  const { router, metrics, clock } = account.ports;
  return {
    router: { getAlias: (functionName, alias) => router.getAlias(functionName, alias) },
    metrics,
    clock,
    waitUntil: async (until) => account.advanceTo(until),
  };
}
