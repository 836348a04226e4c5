import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferOutput } from '../../src/cli/io.ts';
import { runCommand } from '../../src/cli/run.ts';
import { startViewer, type RunningViewer } from '../../src/viewer/server.ts';

// A release run locally, then read in the console: the same files `run --local --release` writes.

let cwd: string;
let viewer: RunningViewer;

const target = (region: string, scenario: string) => ({ region, functionName: 'checkout', alias: 'live', candidateVersion: '13', scenario });

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'coalmine-release-view-'));
  const release = {
    name: 'checkout-13',
    onFailure: 'roll-back-all',
    waves: [
      { name: 'first region', targets: [target('eu-west-3', 'healthy')] },
      { name: 'the rest', targets: [target('us-east-1', 'error-3x')] },
      { name: 'last', targets: [target('ap-south-1', 'healthy')] },
    ],
  };
  writeFileSync(join(cwd, 'release.json'), JSON.stringify(release));
  const io = { stdout: new BufferOutput(), stderr: new BufferOutput(), isTTY: false, cwd };
  expect(await runCommand({ local: true, release: 'release.json', seed: 1 }, io)).toBe(3);
  viewer = await startViewer({ dir: join(cwd, '.coalmine', 'executions'), port: 0 });
}, 120_000);

afterAll(async () => {
  await viewer?.close();
  rmSync(cwd, { recursive: true, force: true });
});

const get = (path: string) => fetch(new URL(path, viewer.url));

describe('the console\'s view of a release in waves', () => {
  it('lists the release above the executions, with its outcome, linking to its page', async () => {
    const page = await (await get('/')).text();
    const [id] = readdirSync(join(cwd, '.coalmine', 'releases')).map((file) => file.replace(/\.json$/, ''));

    expect(page).toMatch(new RegExp(`<a href="/releases/${id}">checkout-13</a>`));
    expect(page.indexOf('Releases')).toBeLessThan(page.indexOf('Executions <span'));
    expect(await (await get('/api/releases')).json()).toMatchObject([{ id, name: 'checkout-13', result: { outcome: 'rolled-back' } }]);
  });

  it('shows the waves in order, each target\'s outcome and alias, and links each started target to its canary execution', async () => {
    const [id] = readdirSync(join(cwd, '.coalmine', 'releases')).map((file) => file.replace(/\.json$/, ''));
    const page = await (await get(`/releases/${id}`)).text();

    expect([...page.matchAll(/<h2>Wave (\d): ([^<]+) <span class="badge outcome-([a-z-]+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`)).toEqual([
      '1 first region rolled-back',
      '2 the rest rolled-back',
      '3 last skipped',
    ]);
    const links = [...page.matchAll(/<a href="(\/executions\/[^"]+)">canary<\/a>/g)].map((m) => m[1]!);
    expect(links).toHaveLength(2);
    for (const link of links) {
      const canary = await get(link);
      expect(canary.status, link).toBe(200);
      expect(await canary.text()).toMatch(/release-[0-9a-f]{32}-\d-0/);
    }
    expect(page).toMatch(/version 12/);
    expect(page).toMatch(/not started/);
  });

  it('answers 404 for a release it does not have', async () => {
    expect((await get('/releases/nothing-here')).status).toBe(404);
  });
});
