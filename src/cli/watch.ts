/**
 * `coalmine watch`: judges a traffic split that something else controls (a CodeDeploy deployment,
 * say) without writing to the alias, and reports what Coalmine would have decided beside what the
 * other tool did (src/core/watch.ts). On AWS it reads Lambda's `GetAlias` and CloudWatch's
 * `GetMetricData`, nothing else; with `--local` the same loop runs on the simulated account, where a
 * simulated tool shifts the alias on its own schedule (src/sim/other-tool.ts).
 *
 * Exit 0 whatever the verdicts (it only observes), 2 for bad input, 1 anything else.
 */
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import type { MetricsSource, TrafficRouter } from '../core/ports.ts';
import { CODEDEPLOY_STRATEGIES, parseStrategy, type Strategy, type StrategyRequest } from '../core/strategy.ts';
import { addSeconds } from '../core/time.ts';
import { verdictOf, watchSplit, type WatchEvent, type WatchPorts } from '../core/watch.ts';
import type { AwsDeps } from './aws-context.ts';
import { ansi, plain, type Palette } from './colours.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { awsOptions, zodLine } from './options.ts';
import { checkLine } from './progress-view.ts';

const MAX_SEED = 2 ** 32 - 1;
const minutes = (max: number) =>
  z.coerce
    .number({ error: `must be a whole number from 0 to ${max}` })
    .int(`must be a whole number from 0 to ${max}`)
    .min(0, `must be a whole number from 0 to ${max}`)
    .max(max, `must be a whole number from 0 to ${max}`);

export const watchOptionsSchema = z.strictObject({
  function: z.string().min(1, 'must name the function').optional(),
  alias: z.string().min(1, 'must name the alias').optional(),
  ...awsOptions,
  waitForSplitMinutes: minutes(24 * 60).default(30),
  maxMinutes: minutes(7 * 24 * 60).refine((value) => value >= 1, 'must be at least 1').default(120),
  local: z.boolean().default(false),
  scenario: z.string().min(1, 'must name a scenario or a scenario file').optional(),
  seed: z.coerce.number({ error: `must be a whole number from 0 to ${MAX_SEED}` }).int(`must be a whole number from 0 to ${MAX_SEED}`).min(0, `must be a whole number from 0 to ${MAX_SEED}`).max(MAX_SEED, `must be a whole number from 0 to ${MAX_SEED}`).optional(),
  json: z.boolean().default(false),
});
export type WatchOptions = z.output<typeof watchOptionsSchema>;

/** What the simulated tool runs when the scenario names no strategy: 10% more every 3 minutes, promoted after 30. */
export const SIMULATED_TOOL_STRATEGY = 'Linear10PercentEvery3Minutes';
/** The simulated tool starts this long after the watch, so the watch is seen waiting for the split. */
const SIMULATED_TOOL_DELAY_MINUTES = 2;

/** Checks the options (bad input throws InvalidRequestError naming the flag, before anything is read). */
export function parseWatchOptions(options: Record<string, unknown>): WatchOptions {
  const parsed = watchOptionsSchema.safeParse(options);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error));
  const watch = parsed.data;
  if (!watch.local) {
    if (watch.scenario !== undefined) throw new InvalidRequestError('--scenario: only with --local (the simulated account)');
    if (watch.seed !== undefined) throw new InvalidRequestError('--seed: only with --local (the simulated account)');
    if (watch.function === undefined) throw new InvalidRequestError('--function: required: the function whose alias to watch (name or ARN)');
    if (watch.alias === undefined) throw new InvalidRequestError('--alias: required: the alias the other tool shifts, e.g. live');
  }
  return watch;
}

/** Runs `coalmine watch`; `aws` is asked for only on AWS. */
export async function watchCommand(options: Record<string, unknown>, io: CliIo, aws: () => Promise<AwsDeps>): Promise<number> {
  const watch = parseWatchOptions(options);
  const { ports, functionName, alias, otherName, heading } = watch.local ? await localSide(watch, io.cwd) : awsSide(watch, await aws());
  const style: Palette = io.stdout.isTTY && !watch.json ? ansi : plain;
  const print = (line: string) => void io.stdout.write(`${line}\n`);
  if (!watch.json) print(`${style.bold('coalmine watch')} · ${functionName}:${alias} · ${heading} · reads only, writes nothing`);
  const result = await watchSplit(ports, { functionName, alias, waitForSplitMinutes: watch.waitForSplitMinutes, maxMinutes: watch.maxMinutes, otherName }, watch.json ? undefined : printer(print, style));
  if (watch.json) print(JSON.stringify(result));
  else print(style.bold(result.summary));
  return EXIT.ok;
}

interface Side {
  ports: WatchPorts;
  functionName: string;
  alias: string;
  otherName: string;
  heading: string;
}

/** On AWS: the alias through Lambda's GetAlias, the minutes through CloudWatch, the wall clock. */
function awsSide(watch: WatchOptions, deps: AwsDeps): Side {
  const router: TrafficRouter | undefined = deps.router;
  const metrics: MetricsSource | undefined = deps.metrics;
  if (!router || !metrics) throw new Error('watch: no Lambda or CloudWatch client');
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    ports: {
      router: { getAlias: (functionName, alias) => router.getAlias(functionName, alias) },
      metrics,
      clock: { now: () => new Date(now()) },
      waitUntil: (until) => sleep(Math.max(0, until.getTime() - now())),
    },
    functionName: watch.function!,
    alias: watch.alias!,
    otherName: 'the other tool',
    heading: watch.region ? `region ${watch.region}` : 'on AWS',
  };
}

/** On the simulated account: a simulated tool shifts the alias by hand; the watch moves the simulated clock. */
async function localSide(watch: WatchOptions, cwd: string): Promise<Side> {
  const { createSimAccount } = await import('../sim/account/index.ts');
  const { loadScenario } = await import('../sim/scenario.ts');
  const { scheduleOtherTool, simWatchPorts } = await import('../sim/other-tool.ts');
  const { resolve } = await import('node:path');
  const name = watch.scenario ?? 'healthy';
  const scenario = loadScenario(/[/\\]|\.json$/.test(name) ? resolve(cwd, name) : name);
  if (scenario.trigger !== 'api') throw new InvalidRequestError(`--scenario: ${scenario.name} is SQS-triggered; watch judges request-driven functions only`);
  const strategy: Strategy = scenario.strategy === undefined ? { ...CODEDEPLOY_STRATEGIES[SIMULATED_TOOL_STRATEGY]! } : parseStrategy(scenario.strategy as StrategyRequest, `${scenario.source}: strategy`);
  const seed = watch.seed ?? 1;
  const account = createSimAccount(scenario, { seed });
  scheduleOtherTool(account, strategy, addSeconds(account.clock.now(), 60 * SIMULATED_TOOL_DELAY_MINUTES));
  return {
    ports: simWatchPorts(account),
    functionName: watch.function ?? account.settings.functionName,
    alias: watch.alias ?? account.settings.alias,
    otherName: `the simulated tool (${strategy.name})`,
    heading: `simulated: scenario ${scenario.name}, seed ${seed}`,
  };
}

/** A line per event; a look's checks when its verdict differs from the previous look's. */
function printer(print: (line: string) => void, style: Palette): (event: WatchEvent) => void {
  let previous: string | undefined;
  return (event) => {
    if (event.type === 'waiting') {
      print(style.dim(`waiting for a split: the alias is on version ${event.alias.version} with no routing`));
    } else if (event.type === 'split') {
      print(`split ${event.splitBeforeWatch ? 'already there when the watch started' : 'seen'} at ${event.at.slice(11, 16)} UTC: ${event.weight}% on version ${event.candidateVersion}, stable version ${event.stableVersion}`);
    } else if (event.type === 'planned') {
      print(style.dim(event.line));
    } else {
      const { look } = event;
      print(`+${look.minute}m ${paint(look.verdict, style)} at ${look.weight}%: ${look.reasons[0] ?? 'no reason given'}`);
      if (look.verdict !== previous) for (const check of look.checks) print(`    ${checkLine(check, style)}`);
      previous = look.verdict;
    }
  };
}

function paint(verdict: string, style: Palette): string {
  if (verdict === verdictOf('rollback', 'inconclusive')) return style.yellow(style.bold(verdict));
  if (verdict.startsWith('would roll back')) return style.red(style.bold(verdict));
  if (verdict === 'would promote') return style.green(style.bold(verdict));
  return verdict;
}

