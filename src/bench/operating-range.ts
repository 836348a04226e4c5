/**
 * The operating-range table: per cell of a scenario grid (traffic × pattern × stable error rate ×
 * candidate), per policy, the share promoted, the median minutes to promote, and the share caught
 * (rolled back). `coalmine bench --scenarios scenarios/grid --report operating-range` prints it.
 *
 * A cell is read off the scenario's own properties, not its name, so any folder of scenarios
 * makes a table (scenarios/grid is the shipped one; scripts/make-grid.mjs writes it).
 */
import type { Scenario } from '../sim/scenario.ts';
import type { BenchReport, BenchRow, ScenarioCell } from './report.ts';
import { round } from '../core/round.ts';

const PATTERN_ORDER = ['steady', 'diurnal', 'bursty'];

export function scenarioCell(scenario: Scenario): ScenarioCell {
  const { stable, candidate } = scenario;
  const requestsPerMinute = scenario.queue?.messagesPerMinute ?? scenario.traffic?.requestsPerMinute ?? 0;
  const differences: string[] = [];
  if (candidate.errorRate !== stable.errorRate) {
    differences.push(stable.errorRate > 0
      ? `${round(candidate.errorRate / stable.errorRate, 2)}× errors`
      : `+${round((candidate.errorRate - stable.errorRate) * 100, 2)} pts errors`);
  }
  if (candidate.latencyMs.p99 !== stable.latencyMs.p99 || candidate.latencyMs.median !== stable.latencyMs.median) {
    differences.push(`p99 ${round(candidate.latencyMs.p99 / stable.latencyMs.p99, 2)}×`);
  }
  if (differences.length === 0 && (candidate.throttleRate !== stable.throttleRate || JSON.stringify(candidate.custom) !== JSON.stringify(stable.custom))) {
    differences.push('other metrics differ');
  }
  const from = candidate.fromMinute > 0 && differences.length > 0 ? ` from minute ${candidate.fromMinute}` : '';
  return {
    requestsPerMinute,
    pattern: scenario.traffic?.pattern ?? 'steady',
    stableErrorRate: stable.errorRate,
    candidateErrorRate: candidate.errorRate,
    candidate: differences.length === 0 ? 'as stable' : `${differences.join(', ')}${from}`,
  };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${Math.round((part / whole) * 1000) / 10}%`;
}

/** One policy in one cell: "promoted · median minutes to promote · rolled back (of which inconclusive)". */
export function policyCell(row: BenchRow | undefined): string {
  if (!row) return '–';
  const minutes = row.minutesToPromote?.median;
  const inconclusive = row.inconclusive > 0 ? ` (${percent(row.inconclusive, row.runs)} inconclusive)` : '';
  return `${percent(row.promoted, row.runs)} · ${minutes === null || minutes === undefined ? '–' : `${minutes} min`} · ${percent(row.rolledBack, row.runs)}${inconclusive}`;
}

/** Coalmine's forecast in one cell: "median minutes · bar" (medians over seeds). */
export function forecastCell(row: BenchRow | undefined): string {
  const forecast = row?.forecast;
  if (!forecast) return '–';
  return `${forecast.minutesToPromote === null ? '> budget' : `${forecast.minutesToPromote} min`} · ${forecast.promotionBar === null ? '–' : `${round(forecast.promotionBar * 100, 2)}%`}`;
}

/** The table as Markdown: healthy candidates first, then regressions, each sorted by baseline, candidate, traffic and pattern. */
export function renderOperatingRange(report: BenchReport): string {
  const cells = report.scenarios.flatMap((s) => (s.cell ? [{ name: s.name, expect: s.expect, cell: s.cell }] : []));
  const rows = new Map(report.results.map((row) => [`${row.scenario}\u0000${row.policy}`, row]));
  const sorted = [...cells].sort((a, b) =>
    a.cell.stableErrorRate - b.cell.stableErrorRate ||
    a.cell.candidateErrorRate - b.cell.candidateErrorRate ||
    a.cell.candidate.localeCompare(b.cell.candidate) ||
    a.cell.requestsPerMinute - b.cell.requestsPerMinute ||
    PATTERN_ORDER.indexOf(a.cell.pattern) - PATTERN_ORDER.indexOf(b.cell.pattern) ||
    a.name.localeCompare(b.name),
  );
  const seedsSaid = report.sqsSeeds !== undefined && report.sqsSeeds !== report.seeds ? `${report.seeds} seeds a cell (SQS: ${report.sqsSeeds})` : `${report.seeds} seeds a cell`;
  const lines = [
    '# Operating range',
    '',
    `${cells.length} cells × ${report.policies.length} policies, ${seedsSaid}, in ${(report.elapsedMs / 1000).toFixed(1)} s.`,
    'Each policy: **% promoted · median minutes to promote · % caught (rolled back)**; the rest of the seeds were undecided at the horizon.',
    'In brackets, the rollbacks that were inconclusive: the canary could not decide in time and failed safe, without a regression verdict.',
    'On a healthy candidate a rollback with a regression verdict is a false rollback; on a regression "promoted" is a miss.',
    ...(report.results.some((row) => row.forecast) ? ["Coalmine forecast: what its plan said before the first shift — median minutes for a candidate as good as stable to be promoted · the bar it must be shown under (medians over seeds)."] : []),
  ];
  // Coalmine's plans say before the first shift how long a healthy candidate takes and which bar it
  // must be shown under: the forecast, next to what the runs measured.
  const forecasts = report.results.some((row) => row.forecast);
  const header = ['req/min', 'pattern', 'stable errors', 'candidate', ...report.policies, ...(forecasts ? ['coalmine forecast'] : [])];
  for (const [title, expect] of [['Healthy candidates', 'promote'], ['Regressions', 'rollback'], ['No expectation', undefined]] as const) {
    const section = sorted.filter((c) => c.expect === expect);
    if (section.length === 0) continue;
    lines.push('', `## ${title}`, '', `| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 || i >= 4 ? '---:' : '---')).join(' | ')} |`);
    for (const { name, cell } of section) {
      const policies = report.policies.map((policy) => policyCell(rows.get(`${name}\u0000${policy}`)));
      if (forecasts) policies.push(forecastCell(rows.get(`${name}\u0000coalmine`)));
      lines.push(`| ${cell.requestsPerMinute} | ${cell.pattern} | ${round(cell.stableErrorRate * 100, 2)}% | ${cell.candidate} | ${policies.join(' | ')} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
