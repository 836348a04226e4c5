/**
 * From runs to the report: one row per scenario and policy (docs/contract.md §1), and the benchmark's
 * targets measured on them. Targets are read off the scenarios' properties (expectation, error
 * ratio, traffic), not their names, so a new scenario is held to them too.
 */
import { round } from '../core/round.ts';
import type { Scenario } from '../sim/scenario.ts';
import type { PolicyResult } from './run.ts';

export interface Summary {
  median: number | null;
  p95: number | null;
}

export interface BenchRow {
  scenario: string;
  expect?: 'promote' | 'rollback';
  policy: string;
  runs: number;
  promoted: number;
  /** Every rollback, whatever its kind (promoted + rolledBack + undecided + refused = runs). */
  rolledBack: number;
  /** Of `rolledBack`, those that ended because the policy could not decide in time: no regression verdict. */
  inconclusive: number;
  undecided: number;
  /** Seeds whose canary Plan refused (Coalmine only: a schedule past the limits, `lowTraffic: "refuse"`): nothing ran, so neither right nor wrong. */
  refused: number;
  /** Share of runs that did what the scenario expects. */
  correct: number | null;
  excessFailures: Summary & { mean: number | null };
  /** Over decided runs. */
  minutesToDecision: Summary;
  /** Over promoted runs. */
  minutesToPromote: Summary;
  /** Coalmine: what its plans forecast for these runs (medians over seeds) — to read against what they did. */
  forecast?: { minutesToPromote: number | null; promotionBar: number | null };
}

/**
 * The stated guarantee, checked: per scenario, each seed's plan states a bar; the candidate is then
 * placed at `factor` × that bar, and Coalmine must promote it in at most 1% of seeds.
 */
export interface GuaranteeRow {
  scenario: string;
  factor: number;
  runs: number;
  promoted: number;
  /** Median over seeds of the bar the plans stated. */
  promotionBar: number | null;
}

export interface TargetCheck {
  target: string;
  /** What was measured, in words and numbers. */
  measured: string;
  met: boolean;
}

/** Where a scenario sits in the operating range. */
export interface ScenarioCell {
  /** Requests (API) or messages (SQS) a minute, on average. */
  requestsPerMinute: number;
  pattern: string;
  stableErrorRate: number;
  candidateErrorRate: number;
  /** The candidate in a few words, relative to stable: "as stable", "2× errors", "+0.5 pts errors", … */
  candidate: string;
}

export interface BenchReport {
  seeds: number;
  /** Seeds per SQS scenario, when SQS scenarios ran (each row's `runs` says it too). */
  sqsSeeds?: number;
  policies: string[];
  /** `cell`: where the scenario sits in the operating range (traffic, pattern, error rates). */
  /** `trigger`: requests (`api`) or an SQS queue (`sqs`): their excess failures count different things. */
  scenarios: Array<{ name: string; description: string; expect?: 'promote' | 'rollback'; trigger?: 'api' | 'sqs'; cell?: ScenarioCell }>;
  results: BenchRow[];
  /** With `guarantee`: the stated-guarantee check. */
  guarantee?: GuaranteeRow[];
  targets: TargetCheck[];
  /** Scenarios the benchmark could not run (e.g. SQS-triggered), with why. */
  skipped: Array<{ scenario: string; reason: string }>;
  elapsedMs: number;
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Rollbacks on a verdict that the candidate is worse (not for want of evidence): on a healthy candidate, false rollbacks. */
export function regressionVerdicts(row: Pick<BenchRow, 'rolledBack' | 'inconclusive'>): number {
  return row.rolledBack - row.inconclusive;
}

export function summariseRuns(scenario: Scenario, policy: string, outcomes: PolicyResult[]): BenchRow {
  const promoted = outcomes.filter((o) => o.outcome === 'promoted').length;
  const rolledBack = outcomes.filter((o) => o.outcome === 'rolled-back').length;
  const inconclusive = outcomes.filter((o) => o.outcome === 'rolled-back' && o.rollbackKind === 'inconclusive').length;
  const refused = outcomes.filter((o) => o.outcome === 'refused').length;
  const excess = outcomes.map((o) => o.excessFailures).sort((a, b) => a - b);
  const minutes = outcomes.flatMap((o) => (o.minutesToDecision === null ? [] : [o.minutesToDecision])).sort((a, b) => a - b);
  const minutesToPromote = outcomes.flatMap((o) => (o.outcome === 'promoted' && o.minutesToDecision !== null ? [o.minutesToDecision] : [])).sort((a, b) => a - b);
  const runs = outcomes.length;
  const correctRuns = scenario.expect === 'promote' ? promoted : scenario.expect === 'rollback' ? rolledBack : undefined;
  return {
    scenario: scenario.name,
    ...(scenario.expect === undefined ? {} : { expect: scenario.expect }),
    policy,
    runs,
    promoted,
    rolledBack,
    inconclusive,
    undecided: runs - promoted - rolledBack - refused,
    refused,
    correct: correctRuns === undefined || runs === refused ? null : correctRuns / (runs - refused),
    excessFailures: {
      median: roundOrNull(quantile(excess, 0.5)),
      p95: roundOrNull(quantile(excess, 0.95)),
      mean: runs === 0 ? null : roundOrNull(excess.reduce((sum, v) => sum + v, 0) / runs),
    },
    minutesToDecision: { median: quantile(minutes, 0.5), p95: quantile(minutes, 0.95) },
    minutesToPromote: { median: quantile(minutesToPromote, 0.5), p95: quantile(minutesToPromote, 0.95) },
    ...(outcomes.some((o) => o.forecast) ? { forecast: forecastSummary(outcomes) } : {}),
  };
}

/** Medians of the plans' forecasts; a seed whose plan expects no promotion within the budget counts as the longest. */
function forecastSummary(outcomes: PolicyResult[]): NonNullable<BenchRow['forecast']> {
  const minutes = outcomes.map((o) => o.forecast?.minutesToPromote ?? Infinity).sort((a, b) => a - b);
  const bars = outcomes.flatMap((o) => (o.forecast ? [o.forecast.promotionBar] : [])).sort((a, b) => a - b);
  const median = quantile(minutes, 0.5);
  return { minutesToPromote: median !== null && Number.isFinite(median) ? median : null, promotionBar: quantile(bars, 0.5) };
}

const PEERS = ['codedeploy-alarm', 'flagger-threshold', 'kayenta-mann-whitney'];
const PERCENT = (v: number) => `${(v * 100).toFixed(1)}%`;

/** The benchmark's targets (docs/bench.md), measured. Only those whose policies and scenarios were run appear. */
export function checkTargets(scenarios: Scenario[], rows: BenchRow[], elapsedMs: number, guarantee: GuaranteeRow[] = []): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const g of guarantee) {
    checks.push({ target: `candidates at ${g.factor}× the stated bar promoted in ≤ 1%: ${g.scenario}`, measured: `${g.promoted}/${g.runs} = ${PERCENT(g.promoted / g.runs)} (median bar ${g.promotionBar === null ? '–' : PERCENT(g.promotionBar)})`, met: g.promoted <= 0.01 * g.runs });
  }
  for (const r of rows.filter((r) => r.policy === 'coalmine' && r.expect === 'promote' && r.forecast)) {
    const measured = r.minutesToPromote.median;
    const forecast = r.forecast!.minutesToPromote;
    if (measured === null || forecast === null) continue;
    const error = forecast / measured - 1;
    checks.push({ target: `forecast within ±25% of the measured median minutes to promote: ${r.scenario}`, measured: `forecast ${forecast} vs measured ${measured} (${error >= 0 ? '+' : ''}${Math.round(error * 100)}%)`, met: Math.abs(error) <= 0.25 });
  }
  const row = (scenario: string, policy: string) => rows.find((r) => r.scenario === scenario && r.policy === policy);
  const ratio = (s: Scenario) => (s.stable.errorRate > 0 ? s.candidate.errorRate / s.stable.errorRate : Infinity);
  const rpm = (s: Scenario) => s.traffic?.requestsPerMinute ?? 0;
  const healthy = scenarios.filter((s) => s.expect === 'promote');

  for (const s of healthy) {
    const r = row(s.name, 'coalmine');
    if (!r) continue;
    const rate = regressionVerdicts(r) / r.runs;
    checks.push({
      target: `false rollbacks (regression verdicts) ≤ 1% on ${s.name}`,
      measured: `${regressionVerdicts(r)}/${r.runs} = ${PERCENT(rate)} (inconclusive rollbacks ${r.inconclusive}, undecided ${r.undecided})`,
      met: rate <= 0.01,
    });
  }

  for (const s of scenarios.filter((s) => s.expect === 'rollback' && ratio(s) >= 2 && rpm(s) >= 300 && s.candidate.errorRate > s.stable.errorRate)) {
    const r = row(s.name, 'coalmine');
    if (!r) continue;
    const caught = r.rolledBack / r.runs;
    checks.push({ target: `≥ 2× error regression caught in ≥ 99% of seeds: ${s.name}`, measured: PERCENT(caught), met: caught >= 0.99 });
  }

  for (const s of scenarios.filter((s) => s.expect === 'rollback' && ratio(s) > 1 && ratio(s) < 2)) {
    const r = row(s.name, 'coalmine');
    const peers = PEERS.flatMap((p) => (row(s.name, p) ? [row(s.name, p)!] : []));
    if (!r || peers.length === 0) continue;
    const best = Math.max(...peers.map((p) => p.rolledBack / p.runs));
    checks.push({
      target: `${s.name} caught more often than every peer`,
      measured: `coalmine ${PERCENT(r.rolledBack / r.runs)} vs best peer ${PERCENT(best)}`,
      met: r.rolledBack / r.runs > best,
    });
  }

  // Peers that keep false rollbacks ≤ 5% on every healthy scenario.
  const falseRollback = (policy: string) => Math.max(0, ...healthy.flatMap((s) => (row(s.name, policy) ? [regressionVerdicts(row(s.name, policy)!) / row(s.name, policy)!.runs] : [])));
  const careful = PEERS.filter((p) => rows.some((r) => r.policy === p) && falseRollback(p) <= 0.05);
  for (const s of scenarios.filter((s) => s.expect === 'rollback' && (Math.abs(ratio(s) - 2) < 1e-9 || Math.abs(ratio(s) - 3) < 1e-9) && s.candidate.fromMinute === 0)) {
    const r = row(s.name, 'coalmine');
    if (!r || r.excessFailures.median === null) continue;
    const peerMedians = careful.flatMap((p) => (row(s.name, p)?.excessFailures.median != null ? [row(s.name, p)!.excessFailures.median!] : []));
    if (peerMedians.length > 0) {
      const best = Math.min(...peerMedians);
      checks.push({
        target: `${s.name}: median excess failures ≤ 0.5 × best peer with ≤ 5% false rollbacks`,
        measured: `coalmine ${r.excessFailures.median} vs best such peer ${best} (peers counted: ${careful.join(', ') || 'none'})`,
        met: r.excessFailures.median <= 0.5 * best,
      });
    }
    const oracle = row(s.name, 'sprt-oracle');
    if (oracle?.excessFailures.median != null) {
      checks.push({
        target: `${s.name}: median excess failures within 1.5× of sprt-oracle`,
        measured: `coalmine ${r.excessFailures.median} vs oracle ${oracle.excessFailures.median} (${(r.excessFailures.median / Math.max(oracle.excessFailures.median, 1e-9)).toFixed(2)}×)`,
        met: r.excessFailures.median <= 1.5 * oracle.excessFailures.median,
      });
    }
  }

  for (const s of healthy.filter((s) => rpm(s) === 600 && s.traffic?.pattern === 'steady' && s.strategy === undefined && s.stable.errorRate <= 0.005)) {
    const r = row(s.name, 'coalmine');
    if (!r || r.minutesToDecision.median === null) continue;
    checks.push({
      target: `${s.name}: promoted no slower than Canary10Percent30Minutes (30 min)`,
      measured: `median ${r.minutesToDecision.median} min, p95 ${r.minutesToDecision.p95} min`,
      met: r.minutesToDecision.median <= 30,
    });
  }
  checks.push({ target: 'the bench finishes in under 60 s', measured: `${(elapsedMs / 1000).toFixed(1)} s`, met: elapsedMs < 60_000 });
  return checks;
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value, 1);
}
