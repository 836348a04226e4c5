/**
 * Writes a benchmark report: results.json (the report as is), results.md (tables people read), and
 * blast-radius.svg: per policy, the median excess failures on the regressions against the
 * false-rollback rate on the healthy scenarios — down and to the left is better.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { regressionVerdicts, type BenchReport, type BenchRow } from './report.ts';

export async function writeBenchOutputs(report: BenchReport, outDir: string): Promise<{ json: string; markdown: string; svg: string }> {
  await mkdir(outDir, { recursive: true });
  const paths = { json: join(outDir, 'results.json'), markdown: join(outDir, 'results.md'), svg: join(outDir, 'blast-radius.svg') };
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

export function renderMarkdown(report: BenchReport): string {
  const lines = [
    '# Benchmark results',
    '',
    `${report.scenarios.length} scenarios × ${report.seeds} seeds × ${report.policies.length} policies in ${(report.elapsedMs / 1000).toFixed(1)} s.`,
    ...(report.sqsSeeds !== undefined && report.sqsSeeds !== report.seeds
      ? [`SQS scenarios ran ${report.sqsSeeds} seeds each, not ${report.seeds}: the queue model simulates every message (\`--sqs-seeds N\` for more).`]
      : []),
    ...(report.sqsSeeds !== undefined ? ['SQS scenarios: excess failures are failed message attempts; the peers see only per-version Lambda errors (a partial batch failure is no error), Coalmine also the queue.'] : []),
    'Excess failures: failed requests the candidate served beyond what stable would have failed, until the horizon.',
    'Rolled back counts every rollback; inconclusive, those of them that failed safe for want of a verdict (no regression found).',
    '',
    '| scenario | expect | policy | correct | promoted | rolled back | of which inconclusive | undecided | excess failures median / p95 | minutes to decision median / p95 |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of report.results) {
    lines.push(
      `| ${row.scenario} | ${row.expect ?? '–'} | ${row.policy} | ${percent(row.correct)} | ${row.promoted} | ${row.rolledBack} | ${row.inconclusive} | ${row.undecided} | ${cell(row.excessFailures.median)} / ${cell(row.excessFailures.p95)} | ${cell(row.minutesToDecision.median)} / ${cell(row.minutesToDecision.p95)} |`,
    );
  }
  if (report.targets.length > 0) {
    lines.push('', '## Targets', '', '| target | measured | met |', '| --- | --- | :---: |');
    for (const check of report.targets) lines.push(`| ${check.target} | ${check.measured} | ${check.met ? 'yes' : '**no**'} |`);
  }
  if (report.skipped.length > 0) {
    lines.push('', '## Skipped', '');
    for (const skipped of report.skipped) lines.push(`- ${skipped.scenario}: ${skipped.reason}`);
  }
  lines.push('', '![Blast radius](blast-radius.svg)', '');
  return lines.join('\n');
}

interface PolicyPoint {
  policy: string;
  falseRollbacks: number;
  excess: number;
}

/** Per policy: false-rollback rate over all healthy runs, and the mean of its median excess failures over the regressions. */
export function blastRadius(rows: BenchRow[]): PolicyPoint[] {
  const policies = [...new Set(rows.map((r) => r.policy))];
  return policies.flatMap((policy) => {
    const healthy = rows.filter((r) => r.policy === policy && r.expect === 'promote');
    const regressions = rows.filter((r) => r.policy === policy && r.expect === 'rollback' && r.excessFailures.median !== null);
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

export function renderBlastRadius(report: BenchReport): string {
  const points = blastRadius(report.results);
  const width = 640;
  const height = 420;
  const left = 70;
  const right = 190;
  const top = 40;
  const bottom = 60;
  const maxX = Math.max(0.05, ...points.map((p) => p.falseRollbacks)) * 1.1;
  const maxExcess = Math.max(1, ...points.map((p) => p.excess));
  // Excess failures span orders of magnitude: log scale from 1.
  const logMax = Math.log10(maxExcess * 1.5);
  const x = (v: number) => left + (v / maxX) * (width - left - right);
  const y = (v: number) => height - bottom - (Math.log10(Math.max(1, v)) / logMax) * (height - top - bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2 - 60}" y="22" font-size="15" text-anchor="middle">Blast radius per policy (${report.seeds} seeds)</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 18}" text-anchor="middle">false-rollback rate on healthy scenarios</text>`,
    `<text transform="translate(18 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">median excess failures on regressions (log)</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxX * i) / 4;
    parts.push(`<text x="${x(v)}" y="${height - bottom + 16}" text-anchor="middle">${(v * 100).toFixed(1)}%</text>`);
  }
  for (let decade = 0; decade <= Math.ceil(logMax); decade++) {
    const v = 10 ** decade;
    if (Math.log10(v) > logMax) break;
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
    parts.push(`<line x1="${left}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="#eee"/>`);
  }
  points.forEach((p, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    parts.push(`<circle cx="${x(p.falseRollbacks)}" cy="${y(p.excess)}" r="6" fill="${colour}"><title>${p.policy}: ${(p.falseRollbacks * 100).toFixed(1)}% false rollbacks, ${p.excess.toFixed(1)} excess failures</title></circle>`);
    parts.push(`<circle cx="${width - right + 20}" cy="${top + 10 + i * 20}" r="5" fill="${colour}"/>`);
    parts.push(`<text x="${width - right + 30}" y="${top + 14 + i * 20}">${escape(p.policy)}</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
