/**
 * The viewer in a real browser: real local runs write their records, the server serves them, and
 * Chromium (headless) reads the list and the execution pages at a laptop's and a phone's width.
 * The screenshots land in test-output/; the tests check what they show: the expected elements, no
 * line outside its plot, and nothing wider than the window.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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

const WIDTHS = { laptop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } } as const;

/** Lines, bands and limits that reach outside their chart's plot, and how far the page is wider than the window. */
async function overflow(page: Page): Promise<{ outsidePlot: string[]; pageOverflow: number }> {
  return page.evaluate(() => {
    const outsidePlot: string[] = [];
    for (const chart of Array.from(document.querySelectorAll('svg.chart'))) {
      const plot = (chart.querySelector('rect.plot') as SVGGraphicsElement).getBBox();
      for (const shape of Array.from(chart.querySelectorAll('path.line, path.band, g.rule line'))) {
        const box = (shape as SVGGraphicsElement).getBBox();
        const inside = box.x >= plot.x - 1 && box.y >= plot.y - 1 && box.x + box.width <= plot.x + plot.width + 1 && box.y + box.height <= plot.y + plot.height + 1;
        if (!inside) outsidePlot.push(`${chart.getAttribute('aria-label')}: ${shape.getAttribute('class') ?? shape.tagName}`);
      }
    }
    return { outsidePlot, pageOverflow: document.documentElement.scrollWidth - window.innerWidth };
  });
}

describe.skipIf(missing && !process.env.CI)('the execution viewer in Chromium', () => {
  let viewer: RunningViewer;
  let browser: Browser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-browser-'));
    for (const [scenario, seed] of [['error-3x', 7], ['sqs-poison', 1], ['business-metric', 1]] as const) {
      const result = await runLocal({ scenario: loadScenario(scenario), seed, record: true, recordDir: dir });
      ids[scenario] = result.record!.split('/').at(-1)!.replace(/\.json$/, '');
    }
    viewer = await startViewer({ dir, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(OUTPUT, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  async function open(size: keyof typeof WIDTHS, path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: WIDTHS[size] });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(new URL(path, viewer.url).href);
    return { page, problems };
  }

  for (const size of ['laptop', 'phone'] as const) {
    it(`lists the runs by scenario, seed and time, with outcome and scenario filters (${size})`, async () => {
      const { page, problems } = await open(size, '/');
      const rows = page.locator('table.executions tbody tr');
      expect(await rows.count()).toBe(3);
      expect((await rows.locator('td.name a').allTextContents()).sort()).toEqual(['business-metric · seed 1', 'error-3x · seed 7', 'sqs-poison · seed 1']);
      expect(await rows.first().locator('td.recorded').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      await page.screenshot({ path: new URL(`viewer-list-${size}.png`, OUTPUT).pathname, fullPage: true });
      expect((await overflow(page)).pageOverflow).toBeLessThanOrEqual(0);

      await page.locator('nav.filters a', { hasText: 'sqs-poison' }).click();
      await page.waitForURL(/scenario=sqs-poison/);
      expect(await page.locator('table.executions tbody tr').count()).toBe(1);
      await page.goto(new URL('/?outcome=promoted', viewer.url).href);
      expect(await page.locator('table.executions tbody tr').textContent()).toContain('No execution matches');
      expect(problems).toEqual([]);
      await page.close();
    });

    it(`shows an errors rollback as a step timeline with its checks, charts with the bar and the interval, inside their plots (${size})`, async () => {
      const { page, problems } = await open(size, `/executions/${ids['error-3x']}`);
      expect(await page.locator('.timeline-panel .trail').textContent()).toMatch(/^10% (✓|✗) → .*✗.* → 100%$/);
      const failed = page.locator('ol.timeline li.step-fail');
      expect(await failed.count()).toBe(1);
      expect(await failed.locator('li.check-fail .summary').first().textContent()).toMatch(/^candidate fails ([\d.]+–∞×|more than 1×.*) as often as stable, 99% sure: roll back$/);
      expect(await page.locator('svg.chart[aria-label="Error ratio, candidate ÷ stable"] path.band').count()).toBe(1);
      expect(await page.locator('svg.chart[aria-label^="Error rate"] g.rule.bar').count()).toBe(1);
      expect(await page.locator('svg.chart[aria-label^="Error rate"] text.off-scale').textContent()).toContain('guardrail 20%');
      // The leading indicators, each version's line: cost per million requests and cold starts.
      for (const title of ['Cost per million requests', 'Cold starts since the first shift']) {
        expect(await page.locator(`svg.chart[aria-label="${title}"] path.line`).count(), title).toBe(2);
      }
      // No figure shows raw evidence, and figure names are words.
      expect(await page.locator('.figure .key').allTextContents()).not.toContainEqual(expect.stringMatching(/evidence|[a-z][A-Z]/));
      expect(await overflow(page)).toEqual({ outsidePlot: [], pageOverflow: expect.any(Number) });
      expect((await overflow(page)).pageOverflow).toBeLessThanOrEqual(0);

      // A state clicked in the graph opens its input and output.
      await page.locator('svg.graph a.state-link', { has: page.locator('g[data-state="Plan the canary"]') }).click();
      const plan = page.locator('details.state#state-plan-the-canary');
      // The page opens it on the link's navigation: wait for it rather than read it at once.
      await expect.poll(() => plan.getAttribute('open')).not.toBeNull();
      expect(await plan.locator('.io pre').last().textContent()).toContain('"plan"');
      await page.screenshot({ path: new URL(`viewer-error-3x-${size}.png`, OUTPUT).pathname, fullPage: true });

      if (size === 'laptop') {
        // Hovering a decision highlights its markers in every chart.
        const lastDecision = page.locator('table.decisions tbody tr').last();
        await lastDecision.hover();
        expect(await page.locator('svg.chart g.marker.active').count()).toBe(await page.locator('svg.chart').count());
        expect(await page.locator('svg.graph g.node[data-state="Promote the candidate"]').getAttribute('class')).toContain('unvisited');
      }
      expect(problems).toEqual([]);
      await page.close();
    });

    it(`charts what decided an SQS rollback: the queue's retry rate against what rolls back, backlog, age, dead letters (${size})`, async () => {
      const { page, problems } = await open(size, `/executions/${ids['sqs-poison']}`);
      const failed = page.locator('ol.timeline li.step-fail');
      expect(await failed.locator('.step-weight').textContent()).toMatch(/^(5|10|25|50)%$/);
      expect(await failed.locator('li.check-fail .check-name').textContent()).toBe('queue');
      for (const title of ['Queue retry rate since the first shift', 'Queue backlog (visible messages)', 'Age of the oldest message', 'Dead letters since the canary began']) {
        expect(await page.locator(`svg.chart[aria-label="${title}"] path.line`).count(), title).toBeGreaterThan(0);
      }
      expect(await page.locator('svg.chart[aria-label="Queue retry rate since the first shift"] path.line.limit-line').count()).toBeGreaterThan(0);
      // Earlier steps say what the queue showed while they passed.
      expect(await page.locator('ol.timeline li.step-pass').first().locator('li.check', { hasText: 'retry rate' }).count()).toBe(1);
      expect((await overflow(page)).outsidePlot).toEqual([]);
      expect((await overflow(page)).pageOverflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: new URL(`viewer-sqs-poison-${size}.png`, OUTPUT).pathname, fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    });

    it(`charts the custom metric that decided a business-metric rollback (${size})`, async () => {
      const { page, problems } = await open(size, `/executions/${ids['business-metric']}`);
      expect(await page.locator('ol.timeline li.step-fail li.check-fail .check-name').textContent()).toBe('checkout_failures');
      expect(await page.locator('svg.chart[aria-label="checkout_failures per 1,000 requests since the first shift"] path.line.candidate').count()).toBeGreaterThan(0);
      expect((await overflow(page)).outsidePlot).toEqual([]);
      expect((await overflow(page)).pageOverflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: new URL(`viewer-business-metric-${size}.png`, OUTPUT).pathname, fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});
