import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewer, type RunningViewer } from '../../src/viewer/server.ts';
import { fixtureRecord } from './fixture-record.ts';

let viewer: RunningViewer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coalmine-viewer-'));
  writeFileSync(join(dir, 'rolled-1.json'), JSON.stringify(fixtureRecord()));
  writeFileSync(join(dir, 'promoted-1.json'), JSON.stringify({ ...fixtureRecord({ outcome: 'promoted', name: 'checkout-api_live_v14_00000000-local-2' }), recordedAt: '2024-05-14T10:00:00.000Z' }));
  writeFileSync(join(dir, 'broken.json'), '{"name": 3');
  writeFileSync(join(dir, 'notes.txt'), 'not a record');
  viewer = await startViewer({ dir, port: 0 });
});

afterAll(async () => {
  await viewer.close();
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, viewer.url), init);

describe('the viewer server', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('lists the records, newest first, and the files it could not read', async () => {
    const response = await get('/api/executions');
    const body = await response.json();

    expect(response.status).toBe(200);
    expect(body.executions.map((row: { id: string; outcome: string }) => [row.id, row.outcome])).toEqual([
      ['promoted-1', 'promoted'],
      ['rolled-1', 'rolled-back'],
    ]);
    expect(body.executions[1]).toMatchObject({ scenario: 'error-3x', expect: 'rollback', durationMinutes: 11, functionName: 'checkout-api' });
    expect(body.skipped).toEqual([{ file: 'broken.json', reason: expect.any(String) }]);
  });

  it('returns one record as the runner wrote it', async () => {
    const body = await (await get('/api/executions/rolled-1')).json();

    expect(body.name).toBe(fixtureRecord().name);
    expect(body.events.length).toBe(fixtureRecord().events.length);
  });

  it('renders an execution page with the graph, the charts and the decisions', async () => {
    const response = await get('/executions/rolled-1');
    const html = await response.text();

    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toContain('<svg class="graph"');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(html).toContain('candidate fails 3.1× as often as stable');
    expect(html).not.toMatch(/ style="/);
  });

  it.each(['/api/executions/nope', '/api/executions/..%2F..%2Fetc%2Fpasswd', '/executions/..%2Fbroken', '/static/../server.ts', '/elsewhere'])('answers 404 for %s', async (path) => {
    expect((await get(path)).status).toBe(404);
  });

  it('refuses anything but GET', async () => {
    expect((await get('/api/executions', { method: 'POST' })).status).toBe(405);
  });

  it('serves its stylesheet and script', async () => {
    const css = await get('/static/viewer.css');
    const js = await get('/static/viewer.js');

    expect(css.headers.get('content-type')).toContain('text/css');
    expect(js.headers.get('content-type')).toContain('javascript');
  });

  it('names an inconclusive rollback apart from a found regression, in the list and on its page', async () => {
    const own = mkdtempSync(join(tmpdir(), 'coalmine-viewer-'));
    writeFileSync(join(own, 'inconclusive-1.json'), JSON.stringify(fixtureRecord({ rollbackKind: 'inconclusive' })));
    writeFileSync(join(own, 'regression-1.json'), JSON.stringify(fixtureRecord({ name: 'checkout-api_live_v14_00000000-local-9' })));
    const running = await startViewer({ dir: own, port: 0 });
    try {
      const list = await (await fetch(new URL('/', running.url))).text();
      const page = await (await fetch(new URL('/executions/inconclusive-1', running.url))).text();
      const listed = await (await fetch(new URL('/api/executions', running.url))).json();

      expect(list).toContain('<span class="badge outcome-rolled-back outcome-inconclusive">Rolled back (inconclusive)</span>');
      expect(list).toContain('<span class="badge outcome-rolled-back">Rolled back</span>');
      expect(page).toContain('Rolled back (inconclusive)</span>');
      expect(listed.executions.map((row: { id: string; rollbackKind: string }) => [row.id, row.rollbackKind]).sort()).toEqual([['inconclusive-1', 'inconclusive'], ['regression-1', 'regression']]);
    } finally {
      await running.close();
    }
  });
});
