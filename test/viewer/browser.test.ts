/**
 * The viewer in a real browser: a real local run writes its record, the server serves it, and
 * Chromium (headless) reads the list and the execution page. The screenshots land in test-output/.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../src/local/runner.ts';
import { loadScenario } from '../../src/sim/scenario.ts';
import { startViewer, type RunningViewer } from '../../src/viewer/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = new URL('../../test-output/', import.meta.url);
const missing = !existsSync(CHROMIUM);
if (missing && !process.env.CI) {
  console.warn(`test/viewer/browser.test.ts: skipped, ${CHROMIUM} is missing (apt-get install -y chromium); with CI set this fails instead`);
}

describe.skipIf(missing && !process.env.CI)('the execution viewer in Chromium', () => {
  let viewer: RunningViewer;
  let browser: Browser;
  let recordName: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-browser-'));
    const result = await runLocal({ scenario: loadScenario('error-3x'), seed: 7, record: true, recordDir: dir });
    recordName = result.execution;
    viewer = await startViewer({ dir, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it('lists the execution, then shows its graph, charts and decisions', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));

    await page.goto(viewer.url);
    const row = page.locator('table.executions tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td.name a').textContent()).toBe(recordName);
    expect(await row.locator('.badge').textContent()).toBe('Rolled back');
    expect(await row.locator('td.scenario').textContent()).toContain('error-3x');
    await page.screenshot({ path: new URL('viewer-list.png', OUTPUT).pathname, fullPage: true });

    await row.locator('td.name a').click();
    await page.waitForURL(/\/executions\//);
    expect(await page.locator('h1').textContent()).toBe(recordName);
    const graph = page.locator('svg.graph');
    expect(await graph.isVisible()).toBe(true);
    expect(await graph.locator('g.node.final').getAttribute('data-state')).toBe('Rolled back');
    expect(await graph.locator('g.node.visited').count()).toBeGreaterThanOrEqual(7);
    expect(await graph.locator('g.node[data-state="Promote the candidate"]').getAttribute('class')).toContain('unvisited');
    expect(await page.locator('svg.chart').count()).toBe(3);
    expect(await page.locator('svg.chart g.marker.decision-rollback').count()).toBe(3);
    const lastDecision = page.locator('table.decisions tbody tr').last();
    expect(await lastDecision.locator('.badge').textContent()).toBe('rollback');
    expect(await lastDecision.locator('.figure').count()).toBeGreaterThan(0);

    // Hovering a decision highlights its markers in every chart (the page's script, allowed by its CSP).
    await lastDecision.hover();
    expect(await page.locator('svg.chart g.marker.active').count()).toBe(3);

    await page.screenshot({ path: new URL('viewer-execution.png', OUTPUT).pathname, fullPage: true });
    expect(problems).toEqual([]);
  });
});
