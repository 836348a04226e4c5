/**
 * The benchmark: many scenarios × seeds through Coalmine's judge and, side by side, models of the
 * policies people use today (policies/). `coalmine bench` (src/cli/bench.ts) calls these.
 *
 * @example
 * const report = runBench({ scenarios: listScenarios(), seeds: 200 });
 * await writeBenchOutputs(report, 'bench-out');
 */
import { InvalidRequestError } from '../core/errors.ts';
import { Random } from '../sim/random.ts';
import type { Scenario } from '../sim/scenario.ts';
import { scenarioCell } from './operating-range.ts';
import { DEFAULT_POLICIES, POLICIES } from './policies/index.ts';
import { checkTargets, summariseRuns, type BenchReport, type BenchRow, type GuaranteeRow } from './report.ts';
import { prepareRun, runPolicy, runQueuePolicies, startPolicy, type PolicyResult } from './run.ts';

export { writeBenchOutputs } from './output.ts';
export { renderOperatingRange } from './operating-range.ts';
export { POLICIES, DEFAULT_POLICIES } from './policies/index.ts';
export type { BenchReport, BenchRow, GuaranteeRow, TargetCheck } from './report.ts';

export interface BenchOptions {
  scenarios: Scenario[];
  seeds: number;
  /** Policy names (default: the five of the contract). */
  policies?: readonly string[];
  /**
   * Seeds per SQS scenario (default: min(seeds, DEFAULT_SQS_SEEDS)). The queue model simulates every
   * message (≈ 0.8 s per seed for the five shipped SQS scenarios and five policies, on one core),
   * so 200 seeds would take the full bench past a minute; the report says how many ran.
   */
  sqsSeeds?: number;
  /** First seed (default 1): seeds are firstSeed … firstSeed + seeds − 1. */
  firstSeed?: number;
  /**
   * Also check the stated guarantee: for every request-driven scenario that expects promotion, each
   * seed's plan states a bar, the candidate is placed at GUARANTEE_FACTOR × that bar, and Coalmine runs.
   */
  guarantee?: boolean;
}

/** Where the guarantee check places the candidate, relative to the bar its plan stated. */
export const GUARANTEE_FACTOR = 1.2;

/** Seeds per SQS scenario when none are given: keeps the default bench under a minute on 2 cores. */
export const DEFAULT_SQS_SEEDS = 40;

/**
 * What runBench settles before it runs anything: the options checked and defaulted, and the
 * scenarios split into those it runs (in the order given: the report's order) and those it skips.
 */
export interface BenchPlan {
  seeds: number;
  sqsSeeds: number;
  firstSeed: number;
  policies: string[];
  guarantee: boolean;
  runnable: Scenario[];
  skipped: BenchReport['skipped'];
}

/** What one scenario's run needs besides the scenario: plain data, so a worker thread can take it (src/bench/parallel.ts). */
export type ScenarioSettings = Omit<BenchPlan, 'runnable' | 'skipped'>;

/** One scenario's part of the report: its row per policy, and its guarantee row when it has one. */
export interface ScenarioRows {
  results: BenchRow[];
  guarantee?: GuaranteeRow;
}

/** Runs every scenario × seed × policy and summarises them; synchronous and deterministic. */
export function runBench(options: BenchOptions): BenchReport {
  const started = performance.now();
  const plan = planBench(options);
  const rows = plan.runnable.map((scenario) => runScenario(scenario, plan));
  return assembleReport(plan, rows, Math.round(performance.now() - started));
}

/** Checks the options and settles the defaults; throws InvalidRequestError on a bad one. */
export function planBench(options: BenchOptions): BenchPlan {
  const policies = [...(options.policies ?? DEFAULT_POLICIES)];
  for (const name of policies) {
    if (!Object.hasOwn(POLICIES, name)) throw new InvalidRequestError(`policies: unknown policy "${name}"; known: ${Object.keys(POLICIES).join(', ')}`);
  }
  if (!Number.isInteger(options.seeds) || options.seeds < 1) throw new InvalidRequestError(`seeds: must be a whole number ≥ 1, got ${options.seeds}`);
  const sqsSeeds = options.sqsSeeds ?? Math.min(options.seeds, DEFAULT_SQS_SEEDS);
  if (!Number.isInteger(sqsSeeds) || sqsSeeds < 1) throw new InvalidRequestError(`sqsSeeds: must be a whole number ≥ 1, got ${sqsSeeds}`);
  const skipped: BenchReport['skipped'] = [];
  const runnable: Scenario[] = [];
  for (const scenario of options.scenarios) {
    if (scenario.expect === undefined) skipped.push({ scenario: scenario.name, reason: 'no "expect": the benchmark cannot tell right from wrong' });
    else runnable.push(scenario);
  }
  return { seeds: options.seeds, sqsSeeds, firstSeed: options.firstSeed ?? 1, policies, guarantee: options.guarantee ?? false, runnable, skipped };
}

/**
 * One scenario's seeds × policies, and its guarantee row when asked. Independent of every other
 * scenario: its own Random, which every run reseeds per (seed, minute) before drawing anyway, so
 * scenarios can run in any order or on different threads and give the same rows.
 */
export function runScenario(scenario: Scenario, settings: ScenarioSettings): ScenarioRows {
  const { policies, firstSeed } = settings;
  const rng = new Random(0);
  const outcomes = new Map<string, PolicyResult[]>(policies.map((name) => [name, []]));
  const seeds = scenario.trigger === 'sqs' ? settings.sqsSeeds : settings.seeds;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    if (scenario.trigger === 'sqs') {
      const seedOutcomes = runQueuePolicies(policies.map((name) => POLICIES[name]!), scenario, seed);
      policies.forEach((name, i) => outcomes.get(name)!.push(seedOutcomes[i]!));
      continue;
    }
    const setting = prepareRun(scenario, seed, rng);
    for (const name of policies) outcomes.get(name)!.push(runPolicy(POLICIES[name]!, setting, rng));
  }
  const results = policies.map((name) => summariseRuns(scenario, name, outcomes.get(name)!));
  const checked = settings.guarantee && scenario.trigger === 'api' && scenario.expect === 'promote';
  return checked ? { results, guarantee: guaranteeRow(scenario, settings.seeds, firstSeed, rng) } : { results };
}

/** The report from each runnable scenario's rows, given in the plan's scenario order. */
export function assembleReport(plan: BenchPlan, rows: ScenarioRows[], elapsedMs: number): BenchReport {
  const { runnable } = plan;
  const results = rows.flatMap((row) => row.results);
  const guarantee = plan.guarantee ? rows.flatMap((row) => (row.guarantee ? [row.guarantee] : [])) : undefined;
  return {
    seeds: plan.seeds,
    ...(runnable.some((s) => s.trigger === 'sqs') ? { sqsSeeds: plan.sqsSeeds } : {}),
    policies: plan.policies,
    scenarios: runnable.map((s) => ({ name: s.name, description: s.description, ...(s.expect === undefined ? {} : { expect: s.expect }), trigger: s.trigger, cell: scenarioCell(s) })),
    results,
    ...(guarantee ? { guarantee } : {}),
    targets: checkTargets(runnable, results, elapsedMs, guarantee),
    skipped: plan.skipped,
    elapsedMs,
  };
}

/**
 * The guarantee check for one scenario. The plan depends only on stable's traffic before the shift,
 * so the same seed with the candidate moved gives the same plan and bar: plan once, then run with
 * the candidate at GUARANTEE_FACTOR × the bar that plan stated.
 */
function guaranteeRow(scenario: Scenario, seeds: number, firstSeed: number, rng: Random): GuaranteeRow {
  const coalmine = POLICIES['coalmine']!;
  let promoted = 0;
  let runs = 0;
  const bars: number[] = [];
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const planned = prepareRun(scenario, seed, rng);
    const run = startPolicy(coalmine, planned);
    // A seed Plan refuses states no bar to check.
    if ('refusal' in run) continue;
    const bar = run.forecast!.promotionBar;
    bars.push(bar);
    runs++;
    const placed: Scenario = { ...scenario, expect: 'rollback', candidate: { ...scenario.candidate, errorRate: Math.min(1, GUARANTEE_FACTOR * bar), fromMinute: 0 } };
    if (runPolicy(coalmine, prepareRun(placed, seed, rng), rng).outcome === 'promoted') promoted++;
  }
  bars.sort((a, b) => a - b);
  return { scenario: scenario.name, factor: GUARANTEE_FACTOR, runs, promoted, promotionBar: bars[Math.floor(bars.length / 2)] ?? null };
}
