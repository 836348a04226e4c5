import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioCell } from '../../src/bench/operating-range.ts';
import { loadBenchScenarios } from '../../src/cli/bench.ts';
import { BUILT_IN_SCENARIOS_DIR, listScenarios } from '../../src/sim/scenario.ts';

const GRID_DIR = join(BUILT_IN_SCENARIOS_DIR, 'grid');
const REPO = resolve(BUILT_IN_SCENARIOS_DIR, '..');

describe('the traffic grid (scenarios/grid)', () => {
  it('is exactly what scripts/make-grid.mjs writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-grid-'));
    execFileSync(process.execPath, [join(REPO, 'scripts', 'make-grid.mjs'), dir]);
    const written = readdirSync(dir).sort();
    expect(readdirSync(GRID_DIR).filter((file) => file.endsWith('.json')).sort()).toEqual(written);
    for (const file of written) expect(readFileSync(join(GRID_DIR, file), 'utf8'), file).toBe(readFileSync(join(dir, file), 'utf8'));
  });

  it('covers every traffic level, pattern, baseline and candidate, and every file is a valid scenario', () => {
    const cells = listScenarios(GRID_DIR).map(scenarioCell);
    expect(new Set(cells.map((c) => c.requestsPerMinute))).toEqual(new Set([5, 20, 60, 150, 600, 3000]));
    expect(new Set(cells.map((c) => c.pattern))).toEqual(new Set(['steady', 'diurnal', 'bursty']));
    expect(new Set(cells.map((c) => c.stableErrorRate))).toEqual(new Set([0, 0.005, 0.02]));
    expect(new Set(cells.map((c) => c.candidate))).toEqual(new Set(['as stable', '2× errors', '5× errors', '10× errors', '6× errors', '+0.5 pts errors', '+2 pts errors', '+10 pts errors']));
  });

  it('is not part of the default bench, which reads only the top of scenarios/', () => {
    const names = loadBenchScenarios(['scenarios'], REPO).map((s) => s.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => name.startsWith('grid-'))).toEqual([]);
  });
});
