/**
 * What a record keeps of its events (src/local/record.ts `RecordedEvents`), against the shape records
 * had before: every event with its whole input and output. The console must show both the same.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VISITS_KEPT, type ExecutionEvent, type ExecutionRecord } from '../../src/local/record.ts';
import { runLocal } from '../../src/local/runner.ts';
import { loadScenario } from '../../src/sim/scenario.ts';
import { executionPage } from '../../src/viewer/pages.ts';
import { readRecord, summarise, type ViewerRecord } from '../../src/viewer/records.ts';
import { EVALUATE_STATE } from '../../src/viewer/verdict-view.ts';

const root = mkdtempSync(join(tmpdir(), 'coalmine-record-shape-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Shapes = { id: string; slimDir: string; oldDir: string; slimText: string; oldText: string };
const runs = new Map<string, Promise<Shapes>>();

/** A real run's record as written now, and the same run in the old shape, written as the old runner wrote it (indented); each scenario runs once. */
function bothShapes(scenario: string): Promise<Shapes> {
  if (!runs.has(scenario)) runs.set(scenario, writeBothShapes(scenario));
  return runs.get(scenario)!;
}

async function writeBothShapes(scenario: string): Promise<Shapes> {
  const slimDir = join(root, scenario, 'slim');
  const oldDir = join(root, scenario, 'old');
  mkdirSync(oldDir, { recursive: true });
  // The old runner recorded exactly the events it handed to onEvent.
  const everyEvent: ExecutionEvent[] = [];
  const result = await runLocal({ scenario: loadScenario(scenario), seed: 3, record: true, recordDir: slimDir, onEvent: (event) => event.type === 'state' && everyEvent.push(event.event) });
  const slimText = readFileSync(result.record!, 'utf8');
  const oldRecord: ExecutionRecord = { ...(JSON.parse(slimText) as ExecutionRecord), events: everyEvent };
  const oldText = `${JSON.stringify(oldRecord, null, 2)}\n`;
  const id = basename(result.record!, '.json');
  writeFileSync(join(oldDir, `${id}.json`), oldText);
  return { id, slimDir, oldDir, slimText, oldText };
}

/** The execution page, its charts' clip ids (numbered across every page drawn) counted from 1. */
function page(record: ViewerRecord): string {
  const ids = new Map<string, number>();
  return executionPage(record, summarise(record)).replace(/clip-\d+/g, (id) => `clip-${ids.get(id) ?? ids.set(id, ids.size + 1).size}`);
}

describe('an execution record', () => {
  for (const scenario of ['healthy', 'error-3x', 'sqs-poison']) {
    it(`of ${scenario} shows the same execution page as a record in the old shape, which kept every input and output`, async () => {
      const { id, slimDir, oldDir } = await bothShapes(scenario);
      const slim = (await readRecord(slimDir, id))!;
      const old = (await readRecord(oldDir, id))!;
      expect(slim.events.length).toBe(old.events.length);
      expect(page(slim)).toBe(page(old));
    });
  }

  it('of an SQS canary shows the plan’s sentence on its page, with the queue’s promotion bar', async () => {
    const { id, slimDir } = await bothShapes('sqs-poison');
    const html = page((await readRecord(slimDir, id))!);

    expect(html).toMatch(/this canary promotes in about \d+ minutes if the candidate&#39;s error rate is shown below [\d.]+% and its share of failed messages below [\d.]+%/);
    expect(html).toMatch(/and that it fails fewer than [\d.]+% of the messages it receives \(the queue&#39;s retry rate; stable: [\d.]+%\)/);
  });

  it('keeps whole the inputs and outputs of only the last visits of each state, and every look without the plan', async () => {
    const { slimText, oldText } = await bothShapes('healthy');
    const record = JSON.parse(slimText) as ExecutionRecord;
    const entered = record.events.filter((event) => event.type === 'StateEntered');
    const states = new Set(entered.map((event) => event.state));
    for (const state of states) {
      const visits = entered.filter((event) => event.state === state);
      expect(visits.filter((event) => event.input !== undefined).length, state).toBe(Math.min(visits.length, VISITS_KEPT));
      expect(visits.slice(-VISITS_KEPT).every((event) => event.input !== undefined), state).toBe(true);
    }
    const looks = record.events.filter((event) => event.state === EVALUATE_STATE && event.type === 'StateExited');
    expect(looks.length).toBeGreaterThan(VISITS_KEPT);
    const withPlan = (event: ExecutionEvent) => typeof event.output === 'object' && event.output !== null && 'plan' in event.output;
    expect(looks.slice(0, -VISITS_KEPT).some(withPlan)).toBe(false);
    expect(looks.slice(-VISITS_KEPT).every(withPlan)).toBe(true);
    expect(looks.every((event) => typeof (event.output as { verdict?: { decision?: unknown } }).verdict?.decision === 'string')).toBe(true);
    expect(slimText.length).toBeLessThan(oldText.length / 4);
  });
});
