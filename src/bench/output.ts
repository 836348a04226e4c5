/**
 * Writes a benchmark report: results.json (the report as is), results.md (tables people read: first
 * the scenario × policy pivot, then the detail), and blast-radius.svg: per policy, excess failures on
 * the regressions against the false-rollback rate on the healthy scenarios — down and to the left
 * is better — in two panels, request scenarios and SQS scenarios, whose excess failures count
 * different things (failed requests; failed message attempts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { regressionVerdicts, type BenchReport, type BenchRow } from './report.ts';

export async function writeBenchOutputs(report: BenchReport, outDir: string): Promise<{ json: string; markdown: string; svg: string }> {
  await mkdir(outDir, { recursive: true });
  const paths = { json: join(outDir, 'results.json'), markdown: join(outDir, 'results.md'), svg: join(outDir, BLAST_RADIUS_FILE) };
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.markdown, renderMarkdown(report));
  await writeFile(paths.svg, renderBlastRadius(report));
  return paths;
}

function cell(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function percent(value: number | null): string {
  return value === null ? '–' : `${Math.round(value * 1000) / 10}%`;
}

/**
 * Scenario × policy, one cell each: ✓ or ✗ for whether most runs did what the scenario expects,
 * the share that did, and the median excess failures. The first table a reader sees.
 */
export function renderPivot(report: BenchReport): string[] {
  const policies = report.policies.filter((policy) => report.results.some((row) => row.policy === policy));
  const lines = [
    `| scenario | expect | ${policies.join(' | ')} |`,
    `| --- | --- | ${policies.map(() => '---:').join(' | ')} |`,
  ];
  for (const scenario of report.scenarios) {
    const cells = policies.map((policy) => {
      const row = report.results.find((r) => r.scenario === scenario.name && r.policy === policy);
      if (!row || row.correct === null) return '–';
      return `${row.correct >= 0.5 ? '✓' : '✗'} ${percent(row.correct)} · ${cell(row.excessFailures.median)}`;
    });
    lines.push(`| ${scenario.name}${scenario.trigger === 'sqs' ? ' (SQS)' : ''} | ${scenario.expect ?? '–'} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/** The Markdown report; `plotPath` is where the plot is linked from (next to results.md by default). */
export function renderMarkdown(report: BenchReport, plotPath = BLAST_RADIUS_FILE): string {
  const lines = [
    '# Benchmark results',
    '',
    'Each cell: ✓ when the policy did what the scenario expects in most runs, the share of runs that did, and the median excess failures.',
    '',
    ...renderPivot(report),
    '',
    '## Detail',
    '',
    `${report.scenarios.length} scenarios × ${report.seeds} seeds × ${report.policies.length} policies in ${(report.elapsedMs / 1000).toFixed(1)} s.`,
    ...(report.sqsSeeds !== undefined && report.sqsSeeds !== report.seeds
      ? [`SQS scenarios ran ${report.sqsSeeds} seeds each, not ${report.seeds}: the queue model simulates every message (\`--sqs-seeds N\` for more).`]
      : []),
    ...(report.sqsSeeds !== undefined ? ['SQS scenarios: excess failures are failed message attempts; the peers see only per-version Lambda errors (a partial batch failure is no error), Coalmine also the queue.'] : []),
    'Excess failures: failed requests the candidate served beyond what stable would have failed, until the horizon.',
    'Rolled back counts every rollback; inconclusive, those of them that failed safe for want of a verdict (no regression found).',
    'Refused: seeds whose canary Plan refused (a schedule past the limits, `lowTraffic: "refuse"`); nothing ran, so they count neither right nor wrong.',
    '',
    "Forecast: the median over seeds of what Coalmine's plan said before the first shift — minutes for a candidate as good as stable to be promoted, and the bar it must be shown under.",
    '',
    '| scenario | expect | policy | correct | promoted | rolled back | of which inconclusive | undecided | refused | excess failures median / p95 | minutes to decision median / p95 | forecast minutes · bar |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of report.results) {
    const forecast = row.forecast ? `${cell(row.forecast.minutesToPromote)} · ${row.forecast.promotionBar === null ? '–' : percent(row.forecast.promotionBar)}` : '';
    lines.push(
      `| ${row.scenario} | ${row.expect ?? '–'} | ${row.policy} | ${percent(row.correct)} | ${row.promoted} | ${row.rolledBack} | ${row.inconclusive} | ${row.undecided} | ${row.refused} | ${cell(row.excessFailures.median)} / ${cell(row.excessFailures.p95)} | ${cell(row.minutesToDecision.median)} / ${cell(row.minutesToDecision.p95)} | ${forecast} |`,
    );
  }
  if (report.guarantee && report.guarantee.length > 0) {
    lines.push('', '## The stated guarantee', '', 'Each seed plans first; the candidate is then placed at the factor × the bar that plan stated. Coalmine must promote it in at most 1% of seeds.', '');
    lines.push('| scenario | candidate at | promoted | median bar |', '| --- | ---: | ---: | ---: |');
    for (const g of report.guarantee) lines.push(`| ${g.scenario} | ${g.factor}× bar | ${g.promoted} / ${g.runs} | ${g.promotionBar === null ? '–' : percent(g.promotionBar)} |`);
  }
  if (report.targets.length > 0) {
    lines.push('', '## Targets', '', '| target | measured | met |', '| --- | --- | :---: |');
    for (const check of report.targets) lines.push(`| ${check.target} | ${check.measured} | ${check.met ? 'yes' : '**no**'} |`);
  }
  if (report.skipped.length > 0) {
    lines.push('', '## Skipped', '');
    for (const skipped of report.skipped) lines.push(`- ${skipped.scenario}: ${skipped.reason}`);
  }
  lines.push('', `![Blast radius: false rollbacks against excess failures, request and SQS scenarios apart](${plotPath})`, '');
  return lines.join('\n');
}

/** The plot's file name in the output folder. */
export const BLAST_RADIUS_FILE = 'blast-radius.svg';

interface PolicyPoint {
  policy: string;
  falseRollbacks: number;
  /** Mean over the regression scenarios of each scenario's median excess failures. */
  excess: number;
}

/**
 * Per policy: false-rollback rate over all healthy runs, and the mean over the regression scenarios
 * of each one's median excess failures. `scenarios` limits it to those named (one trigger's).
 */
export function blastRadius(rows: BenchRow[], scenarios?: ReadonlySet<string>): PolicyPoint[] {
  const policies = [...new Set(rows.map((r) => r.policy))];
  const included = scenarios ? rows.filter((r) => scenarios.has(r.scenario)) : rows;
  return policies.flatMap((policy) => {
    const healthy = included.filter((r) => r.policy === policy && r.expect === 'promote');
    const regressions = included.filter((r) => r.policy === policy && r.expect === 'rollback' && r.excessFailures.median !== null);
    const runs = healthy.reduce((sum, r) => sum + r.runs, 0);
    if (runs === 0 || regressions.length === 0) return [];
    return [{
      policy,
      falseRollbacks: healthy.reduce((sum, r) => sum + regressionVerdicts(r), 0) / runs,
      excess: regressions.reduce((sum, r) => sum + r.excessFailures.median!, 0) / regressions.length,
    }];
  });
}

const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];

/** Two panels side by side: request scenarios (failed requests) and SQS scenarios (failed message attempts). */
export function renderBlastRadius(report: BenchReport): string {
  const byTrigger = (trigger: 'api' | 'sqs') => new Set(report.scenarios.filter((s) => (s.trigger ?? 'api') === trigger).map((s) => s.name));
  const panels = [
    { title: 'Request scenarios', unit: 'failed requests', points: blastRadius(report.results, byTrigger('api')) },
    { title: 'SQS scenarios', unit: 'failed message attempts', points: blastRadius(report.results, byTrigger('sqs')) },
  ].filter((panel) => panel.points.length > 0);
  const policies = [...new Set(panels.flatMap((panel) => panel.points.map((p) => p.policy)))];
  const colour = (policy: string) => COLOURS[policies.indexOf(policy) % COLOURS.length]!;
  const panelWidth = 400;
  const legendWidth = 180;
  const width = panelWidth * Math.max(1, panels.length) + legendWidth;
  const height = 440;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="20" y="22" font-size="15">Blast radius per policy (${report.seeds} seeds${report.sqsSeeds !== undefined && report.sqsSeeds !== report.seeds ? `, ${report.sqsSeeds} for SQS` : ''}): down and to the left is better</text>`,
  ];
  panels.forEach((panel, index) => parts.push(...renderPanel(panel, index * panelWidth, panelWidth, height, colour)));
  policies.forEach((policy, i) => {
    const x = panelWidth * panels.length + 20;
    parts.push(`<circle cx="${x}" cy="${60 + i * 20}" r="5" fill="${colour(policy)}"/>`);
    parts.push(`<text x="${x + 10}" y="${64 + i * 20}">${escape(policy)}</text>`);
  });
  if (panels.length === 0) parts.push(`<text x="20" y="60">No policy ran both healthy and regression scenarios: nothing to plot.</text>`);
  parts.push('</svg>', '');
  return parts.join('\n');
}

function renderPanel(panel: { title: string; unit: string; points: PolicyPoint[] }, offset: number, width: number, height: number, colour: (policy: string) => string): string[] {
  const left = offset + 70;
  const right = offset + width - 20;
  const top = 60;
  const bottom = height - 70;
  const maxX = Math.max(0.05, ...panel.points.map((p) => p.falseRollbacks)) * 1.1;
  const maxExcess = Math.max(1, ...panel.points.map((p) => p.excess));
  // Excess failures span orders of magnitude: log scale from 1.
  const logMax = Math.log10(maxExcess * 1.5);
  const x = (v: number) => left + (v / maxX) * (right - left);
  const y = (v: number) => bottom - (Math.log10(Math.max(1, v)) / logMax) * (bottom - top);
  const parts = [
    `<text x="${left}" y="${top - 14}" font-size="13" font-weight="bold">${escape(panel.title)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="black"/>`,
    `<text x="${(left + right) / 2}" y="${bottom + 36}" text-anchor="middle">false-rollback rate on healthy scenarios</text>`,
    `<text transform="translate(${offset + 16} ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(`mean of per-scenario median ${panel.unit} (log)`)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxX * i) / 4;
    parts.push(`<text x="${x(v)}" y="${bottom + 16}" text-anchor="middle">${(v * 100).toFixed(1)}%</text>`);
  }
  for (let decade = 0; decade <= Math.ceil(logMax); decade++) {
    const v = 10 ** decade;
    if (Math.log10(v) > logMax) break;
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
    parts.push(`<line x1="${left}" y1="${y(v)}" x2="${right}" y2="${y(v)}" stroke="#eee"/>`);
  }
  for (const p of panel.points) {
    parts.push(`<circle cx="${x(p.falseRollbacks)}" cy="${y(p.excess)}" r="6" fill="${colour(p.policy)}"><title>${escape(`${p.policy}: ${(p.falseRollbacks * 100).toFixed(1)}% false rollbacks, mean median ${p.excess.toFixed(1)} ${panel.unit}`)}</title></circle>`);
  }
  return parts;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
