import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, PlanLimitError } from '../../src/core/errors.ts';
import { assess } from '../../src/core/judge/index.ts';
import type { CanaryState, PlannedForecast } from '../../src/core/state.ts';
import { createSteps } from '../../src/core/steps/index.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { runBench, writeBenchOutputs } from '../../src/bench/index.ts';
import { blastRadius, renderBlastRadius, renderMarkdown } from '../../src/bench/output.ts';
import { hodgesLehmann } from '../../src/bench/policies/kayenta.ts';
import { DEFAULT_POLICIES, POLICIES } from '../../src/bench/policies/index.ts';
import type { ObservedMinute, PolicyContext } from '../../src/bench/policy.ts';
import { queueBenchRun } from '../../src/bench/queue-run.ts';
import { prepareRun, runPolicy, runQueuePolicies, runQueuePolicy, scenarioSetup } from '../../src/bench/run.ts';
import { loadScenario, parseScenario, type Scenario } from '../../src/sim/scenario.ts';

const withoutTime = (report: ReturnType<typeof runBench>) => ({ ...report, elapsedMs: 0, targets: report.targets.filter((t) => !t.target.includes('60 s')) });

describe('runBench', () => {
  const scenarios = ['healthy', 'error-10x', 'latency-p99-2x'].map((name) => loadScenario(name));
  const report = runBench({ scenarios, seeds: 4 });

  it('reports every scenario × policy with the contract fields', () => {
    expect(report.seeds).toBe(4);
    expect(report.results).toHaveLength(3 * 5);
    expectContractRows(report.results, 4);
  });

  it("rolls back a candidate failing ten times as often and one with a slow tail, and promotes a healthy one, with Coalmine's judge", () => {
    const coalmine = (scenario: string) => report.results.find((r) => r.scenario === scenario && r.policy === 'coalmine')!;
    expect(coalmine('error-10x').rolledBack).toBe(4);
    expect(coalmine('latency-p99-2x').rolledBack).toBe(4);
    expect(coalmine('healthy').promoted).toBe(4);
  });

  it('gives the same report for the same seeds', () => {
    expect(withoutTime(runBench({ scenarios, seeds: 4 }))).toEqual(withoutTime(report));
  });

  it('refuses an unknown policy', () => {
    expect(() => runBench({ scenarios, seeds: 1, policies: ['magic'] })).toThrow(InvalidRequestError);
    expect(() => runBench({ scenarios, seeds: 1, policies: ['toString'] })).toThrow(InvalidRequestError);
  });

  it('writes results.md, results.json and the blast-radius plot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-bench-'));
    const paths = await writeBenchOutputs(report, dir);
    expect(JSON.parse(readFileSync(paths.json, 'utf8')).results).toHaveLength(15);
    expect(readFileSync(paths.markdown, 'utf8')).toContain('| healthy | promote | coalmine |');
    expect(readFileSync(paths.svg, 'utf8')).toMatch(/^<svg[\s\S]*coalmine[\s\S]*<\/svg>/);
  });

  it('leads the Markdown with a scenario × policy pivot, one column per policy', () => {
    const markdown = renderMarkdown(report);
    const firstTable = markdown.split('\n').find((line) => line.startsWith('|'))!;
    expect(firstTable).toBe(`| scenario | expect | ${report.policies.join(' | ')} |`);
    expect(markdown).toMatch(/\| error-10x \| rollback \| ✓ 100% · [\d.]+ \|/);
  });

  it('plots request and SQS scenarios apart, and calls its y value what it is', () => {
    const withSqs = { ...report, scenarios: [...report.scenarios, { name: 'sqs-x', description: '', expect: 'rollback' as const, trigger: 'sqs' as const }, { name: 'sqs-ok', description: '', expect: 'promote' as const, trigger: 'sqs' as const }],
      results: [...report.results, ...report.results.filter((r) => r.scenario === 'error-10x').map((r) => ({ ...r, scenario: 'sqs-x', excessFailures: { ...r.excessFailures, median: 500 } })), ...report.results.filter((r) => r.scenario === 'healthy').map((r) => ({ ...r, scenario: 'sqs-ok' }))] };
    const svg = renderBlastRadius(withSqs);
    expect(svg).toContain('>Request scenarios<');
    expect(svg).toContain('>SQS scenarios<');
    expect(svg).toContain('mean of per-scenario median failed message attempts (log)');
    expect(svg).not.toMatch(/>median excess failures/);
    // The SQS regression's 500 failed attempts are not pooled into the request panel's points.
    expect(blastRadius(withSqs.results, new Set(['healthy', 'error-10x', 'latency-p99-2x'])).every((p) => p.excess < 500)).toBe(true);
  });
});

describe('runPolicy', () => {
  it('counts what a wrong promotion keeps costing until the horizon', () => {
    const setting = prepareRun(loadScenario('error-3x'), 1);
    const promoteAtOnce = { name: 'yes', summary: '', start: () => ({ weight: () => 10, observe: () => 'promote' as const }) };
    const rollBackAtOnce = { name: 'no', summary: '', start: () => ({ weight: () => 10, observe: () => 'rollback' as const }) };
    const promoted = runPolicy(promoteAtOnce, setting);
    const rolledBack = runPolicy(rollBackAtOnce, setting);
    // 120 minutes × 600 requests × 1% extra errors ≈ 720.
    expect(promoted.excessFailures).toBeGreaterThan(600);
    expect(rolledBack.excessFailures).toBeLessThan(5);
    expect(rolledBack.minutesToDecision).toBe(1);
  });

  it("never promotes a candidate that cold-starts five times as often at 300 requests a minute, in 40 seeds, though its errors alone would promote it", () => {
    const setting = (seed: number) => prepareRun(loadScenario('cold-start-5x-moderate-traffic'), seed);
    const outcomes = Array.from({ length: 40 }, (_, i) => runPolicy(POLICIES['coalmine']!, setting(i + 1)).outcome);

    expect(outcomes.filter((outcome) => outcome === 'promoted')).toEqual([]);
  });
});

describe('peer policies', () => {
  const context = { truth: { stableErrorRate: 0.005, candidateErrorRate: 0.005 } } as PolicyContext;
  const seen = (minute: number, candidate: [number, number], stable: [number, number] = [540, 3]): ObservedMinute => ({
    minute,
    candidate: { invocations: candidate[0], errors: candidate[1], throttles: 0 },
    stable: { invocations: stable[0], errors: stable[1], throttles: 0 },
  });

  it('flagger-threshold advances 10 points a passed minute, holds on a failed one, and rolls back at the tick after the fifth failure', () => {
    const run = POLICIES['flagger-threshold']!.start(context);
    expect(run.weight()).toBe(10);
    expect(run.observe(seen(0, [60, 0]))).toBe('continue');
    expect(run.weight()).toBe(20);
    for (let i = 1; i <= 5; i++) expect(run.observe(seen(i, [120, 5]))).toBe('continue');
    expect(run.weight()).toBe(20);
    expect(run.observe(seen(6, [120, 0]))).toBe('rollback');
  });

  it('flagger-threshold promotes after a passed check at 50%', () => {
    const run = POLICIES['flagger-threshold']!.start(context);
    const actions = [0, 1, 2, 3, 4].map((i) => run.observe(seen(i, [100, 0])));
    expect(actions).toEqual(['continue', 'continue', 'continue', 'continue', 'promote']);
  });

  it('codedeploy-alarm promotes after five quiet minutes and rolls back on an alias error rate above max(1%, 2× usual)', () => {
    const quiet = POLICIES['codedeploy-alarm']!.start(context);
    expect([0, 1, 2, 3, 4].map((i) => quiet.observe(seen(i, [60, 0])))).toEqual(['continue', 'continue', 'continue', 'continue', 'promote']);
    const loud = POLICIES['codedeploy-alarm']!.start(context);
    expect(loud.observe(seen(0, [60, 5], [540, 2]))).toBe('rollback');
    expect(POLICIES['codedeploy-alarm-strict']!.start(context).observe(seen(0, [60, 0], [540, 1]))).toBe('rollback');
  });

  it("sprt-oracle rolls back at Wald's boundary", () => {
    const run = POLICIES['sprt-oracle']!.start({ ...context, truth: { stableErrorRate: 0.005, candidateErrorRate: 0.05 }, strategy: { name: 'x', steps: [10], intervalMinutes: 5 } } as PolicyContext);
    // ln(0.05/0.005) per error ≈ 2.30; ln(0.95/0.995) per success ≈ −0.046: 3 errors in 10 requests cross ln 99 ≈ 4.6.
    expect(run.observe(seen(0, [10, 1]))).toBe('continue');
    expect(run.observe(seen(1, [10, 2]))).toBe('rollback');
  });
});

describe('hodgesLehmann', () => {
  it("gives the median pairwise difference and Mann–Whitney's interval (complete separation of 5 vs 5 at 98%)", () => {
    const { estimate, lower, upper } = hodgesLehmann([6, 7, 8, 9, 10], [1, 2, 3, 4, 5], 0.98);
    expect(estimate).toBe(5);
    // k = ⌊12.5 − 2.326·√(25·11/12)⌋ = 1: the interval spans the smallest to the largest difference.
    expect(lower).toBe(1);
    expect(upper).toBe(9);
  });
});

describe('runBench on SQS scenarios', () => {
  const scenarios = ['sqs-poison', 'sqs-healthy'].map((name) => loadScenario(name));
  const report = runBench({ scenarios, seeds: 3, sqsSeeds: 2 });
  const row = (scenario: string, policy: string) => report.results.find((r) => r.scenario === scenario && r.policy === policy)!;

  it('runs them with their own seed count and the contract fields, instead of skipping them', () => {
    expect(report.skipped).toEqual([]);
    expect(report.sqsSeeds).toBe(2);
    expect(report.results).toHaveLength(2 * 5);
    expectContractRows(report.results, 2);
  });

  it('rolls back a poison-message candidate with the queue checks while a peer that sees only Lambda errors promotes it', () => {
    expect(row('sqs-poison', 'coalmine').rolledBack).toBe(2);
    expect(row('sqs-poison', 'codedeploy-alarm').promoted).toBe(2);
    expect(row('sqs-poison', 'codedeploy-alarm').excessFailures.median!).toBeGreaterThan(10 * row('sqs-poison', 'coalmine').excessFailures.median!);
    expect(row('sqs-healthy', 'coalmine').promoted).toBe(2);
  });

  it('gives every policy the outcome it gets on a queue of its own (the shared, forked queue changes nothing)', () => {
    const scenario = scenarios[0]!;
    const together = runQueuePolicies(DEFAULT_POLICIES.map((name) => POLICIES[name]!), scenario, 5);
    const alone = DEFAULT_POLICIES.map((name) => runQueuePolicy(POLICIES[name]!, scenario, 5));
    expect(together).toEqual(alone);
  });
});

/** Every row has the fields docs/contract.md promises, and accounts for each of its runs once. */
function expectContractRows(results: ReturnType<typeof runBench>['results'], runs: number): void {
  for (const row of results) {
    expect(row.runs).toBe(runs);
    expect(row.promoted + row.rolledBack + row.undecided + row.refused).toBe(runs);
    expect(row.excessFailures).toHaveProperty('median');
    expect(row.excessFailures).toHaveProperty('p95');
    expect(row.minutesToDecision).toHaveProperty('median');
  }
}

describe('runBench on a canary that cannot decide in time', () => {
  const quiet = parseScenario(
    { name: 'quiet', expect: 'promote', minutes: 60, traffic: { requestsPerMinute: 1 }, stable: { errorRate: 0.005 }, analysis: { maxExtensionMinutes: 3 } },
    'quiet.json',
  );
  const report = runBench({ scenarios: [quiet], seeds: 3, policies: ['coalmine'] });

  it('counts its rollbacks as inconclusive, apart from regression verdicts', () => {
    expect(report.results[0]).toMatchObject({ rolledBack: 3, inconclusive: 3, promoted: 0 });
  });

  it('does not count them as false rollbacks', () => {
    const target = report.targets.find((check) => check.target.startsWith('false rollbacks'))!;
    expect(target).toMatchObject({ met: true, measured: '0/3 = 0.0% (inconclusive rollbacks 3, undecided 0)' });
  });
});

describe('runBench on a canary Plan refuses', () => {
  // 50 one-hour steps: Plan refuses the schedule (past 48 hours) before it touches the alias.
  const tooLong = parseScenario({ name: 'too-long', expect: 'promote', minutes: 60, traffic: { requestsPerMinute: 600 }, stable: { errorRate: 0.005 }, strategy: { steps: Array.from({ length: 50 }, (_, i) => i + 1), intervalMinutes: 60 } }, 'too-long.json');
  const report = runBench({ scenarios: [tooLong], seeds: 2, policies: ['coalmine', 'codedeploy-alarm'] });

  it('reports Coalmine’s seeds as refused, not as runs that promoted, rolled back or ran out of time', () => {
    expect(report.results[0]).toMatchObject({ policy: 'coalmine', runs: 2, refused: 2, promoted: 0, rolledBack: 0, undecided: 0, correct: null });
  });

  it('still runs the peers, which have no such plan', () => {
    expect(report.results[1]).toMatchObject({ policy: 'codedeploy-alarm', refused: 0 });
    expect(report.results[1]!.promoted + report.results[1]!.rolledBack).toBe(2);
  });

  it('gives the refusal as Plan words it', () => {
    const result = runPolicy(POLICIES['coalmine']!, prepareRun(tooLong, 1));
    expect(result).toMatchObject({ outcome: 'refused', excessFailures: 0 });
    expect(result.refusal).toMatch(/^strategy: 50 steps × \(60 min \+ up to 120 min of extension\) can take 151\.7 h, past the execution's 48 h/);
  });
});

describe('the bench’s Coalmine on SQS queues, next to Plan on the simulated account', () => {
  const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:coalmine-canary:bench-plan', name: 'bench-plan' };
  const withVisibility = (visibilityTimeoutSeconds: number, strategy?: Scenario['strategy']): Scenario => {
    const base = loadScenario('sqs-healthy');
    return { ...base, queue: { ...base.queue!, visibilityTimeoutSeconds }, ...(strategy ? { strategy } : {}) };
  };
  const planned = (scenario: Scenario) => {
    const steps = createSteps(createSimAccount(scenario, { seed: 3 }).ports, { judge: assess });
    return steps.plan({ request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', ...(scenario.strategy ? { strategy: scenario.strategy } : {}) }, execution });
  };

  it.each([30, 900, 43_200])('forecasts what Plan forecasts for a %i s visibility timeout (the same schedule, fitted where it must be)', async (visibilityTimeoutSeconds) => {
    const scenario = withVisibility(visibilityTimeoutSeconds);
    const forecast = ((await planned(scenario)) as CanaryState).plan.forecast as PlannedForecast;
    const { settings } = scenarioSetup(scenario);
    const root = queueBenchRun(scenario, 3, settings);
    const run = POLICIES['coalmine']!.start({ scenario, seed: 3, settings, strategy: root.strategy, namedStrategy: undefined, history: [], baseline: root.baseline, truth: { stableErrorRate: 0.005, candidateErrorRate: 0.005 }, queue: root.setup });

    expect(run.forecast).toEqual({ minutesToPromote: forecast.minutesToPromote, promotionBar: forecast.promotionBar.errorRate });
  });

  it('refuses the named schedule Plan refuses, and reports it as refused', async () => {
    const scenario = { ...withVisibility(43_200, { steps: [5, 10, 25, 50], intervalMinutes: 1440 }), minutes: 30 };

    await expect(planned(scenario)).rejects.toBeInstanceOf(PlanLimitError);
    expect(runQueuePolicies([POLICIES['coalmine']!], scenario, 3)[0]).toMatchObject({ outcome: 'refused', refusal: expect.stringMatching(/past the execution's 48 h/) });
  });
});
