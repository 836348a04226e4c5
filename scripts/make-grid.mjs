#!/usr/bin/env node
/**
 * Writes the traffic grid, scenarios/grid/*.json: healthy candidates and regressions across
 * traffic levels, traffic patterns and stable error rates. `coalmine bench --scenarios
 * scenarios/grid --report operating-range` measures it (docs/bench.md). The files are committed;
 * run `node scripts/make-grid.mjs` after changing this script, and commit what it wrote (a test
 * fails while the committed files and the script disagree).
 *
 * Every cell: 6 rates × 3 patterns × 3 stable error rates × 4 candidates = 216 scenarios. The bench's
 * engine draws a minute's counts, not its requests, so the grid costs about the same at 3000
 * requests a minute as at 5.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `--sqs FOLDER` writes the grid's SQS counterpart instead (not committed: the queue model simulates
 * every message, so it is measured with fewer seeds; docs/sqs.md): messages a minute from 5 to 600,
 * steady and diurnal, the same baselines and candidates, where the candidate's `errorRate` is the
 * share of messages it fails and reports as batch item failures (no Lambda error).
 */
const SQS = process.argv[2] === '--sqs';
const folder = SQS ? process.argv[3] : process.argv[2];
if (SQS && !folder) throw new Error('make-grid.mjs --sqs FOLDER: say where to write the SQS grid');
/** Where to write: scenarios/grid, or the folder given as the first argument (the tests compare the two). */
const OUT = resolve(folder ?? join(dirname(fileURLToPath(import.meta.url)), '../scenarios/grid'));

const RATES = SQS ? [5, 20, 60, 150, 600] : [5, 20, 60, 150, 600, 3000];
const PATTERNS = {
  steady: { pattern: 'steady', amplitude: 0 },
  // Near the daily low and rising, as a release in the early morning meets it: ≈ 0.3 of the mean rate at
  // the first shift, 0.6 two hours later, the mean at the horizon.
  diurnal: { pattern: 'diurnal', amplitude: 0.8, offsetMinutes: 1200 },
  // Bursts of 5× the rate, on average 3 minutes long, one starting every 20 minutes or so.
  bursty: { pattern: 'bursty', amplitude: 5 },
};
const BASELINES = [0, 0.005, 0.02];
/** Long enough for today's fail-safe (step intervals plus 120 minutes of extension) to show. */
const HORIZON_MINUTES = 240;

/**
 * The candidates for a stable error rate. A multiple of 0% is 0%, so on a 0% baseline the
 * regressions are stated in points: +0.5 and +2 points (what 2× and 5× add on a 0.5% baseline).
 * Gross: the gentler of 10× and +10 points, so it is gross by either reading.
 */
function candidates(stable) {
  const round = (rate) => Math.round(rate * 1e6) / 1e6;
  const gross = round(Math.min(stable * 10 > 0 ? stable * 10 : Infinity, stable + 0.1));
  if (stable === 0) {
    return [
      { label: 'healthy', errorRate: 0, expect: 'promote', says: 'as good as stable' },
      { label: 'plus0.5pt', errorRate: 0.005, expect: 'rollback', says: 'fails 0.5% of its requests (+0.5 points)' },
      { label: 'plus2pt', errorRate: 0.02, expect: 'rollback', says: 'fails 2% of its requests (+2 points)' },
      { label: 'gross', errorRate: gross, expect: 'rollback', says: `fails ${pct(gross)} of its requests (+10 points)` },
    ];
  }
  return [
    { label: 'healthy', errorRate: stable, expect: 'promote', says: 'as good as stable' },
    { label: '2x', errorRate: round(stable * 2), expect: 'rollback', says: `fails twice as often (${pct(stable * 2)})` },
    { label: '5x', errorRate: round(stable * 5), expect: 'rollback', says: `fails five times as often (${pct(stable * 5)})` },
    { label: 'gross', errorRate: gross, expect: 'rollback', says: `fails ${pct(gross)} of its requests (${gross === round(stable * 10) ? '10×' : '+10 points'})` },
  ];
}

function pct(rate) {
  return `${Math.round(rate * 1e4) / 100}%`;
}

const scenarios = [];
for (const rate of RATES) {
  for (const [patternName, shape] of Object.entries(PATTERNS)) {
    if (SQS && patternName === 'bursty') continue;
    for (const stable of BASELINES) {
      for (const candidate of candidates(stable)) {
        const name = `grid-${SQS ? 'sqs-' : ''}${rate}rpm-${patternName}-${pct(stable).replace('%', 'pct')}-${candidate.label}`;
        scenarios.push({
          name,
          description: `${rate} ${SQS ? 'messages' : 'requests'} a minute (${patternName}), stable fails ${pct(stable)}; the candidate ${candidate.says}`,
          expect: candidate.expect,
          minutes: HORIZON_MINUTES,
          trigger: SQS ? 'sqs' : 'api',
          ...(SQS ? { queue: { messagesPerMinute: rate, batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } } : {}),
          traffic: { requestsPerMinute: rate, ...shape },
          stable: { errorRate: stable, latencyMs: { median: 80, p99: 400 } },
          candidate: { errorRate: candidate.errorRate, latencyMs: { median: 80, p99: 400 }, fromMinute: 0 },
        });
      }
    }
  }
}

mkdirSync(OUT, { recursive: true });
for (const file of readdirSync(OUT)) if (file.endsWith('.json')) rmSync(join(OUT, file));
for (const scenario of scenarios) writeFileSync(join(OUT, `${scenario.name}.json`), `${JSON.stringify(scenario, null, 2)}\n`);
console.log(`Wrote ${scenarios.length} scenarios to ${OUT}`);
