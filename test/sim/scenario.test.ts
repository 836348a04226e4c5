import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors.ts';
import { listScenarios, loadScenario, parseScenario } from '../../src/sim/scenario.ts';

const contractExample = {
  name: 'error-3x',
  description: 'candidate fails three times as often as stable',
  expect: 'rollback',
  minutes: 120,
  trigger: 'api',
  traffic: { requestsPerMinute: 600, pattern: 'steady', amplitude: 0 },
  stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
  candidate: { errorRate: 0.015, latencyMs: { median: 80, p99: 400 }, fromMinute: 0 },
  queue: { messagesPerMinute: 600, batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 5 },
  strategy: 'Canary10Percent5Minutes',
};

describe('parseScenario', () => {
  it('accepts every field of the contract example', () => {
    const scenario = parseScenario(contractExample, 'example.json');
    expect(scenario).toMatchObject({ ...contractExample, source: 'example.json' });
  });

  it('fills the documented defaults and lets the candidate behave as stable where it says nothing', () => {
    const scenario = parseScenario(
      { name: 'x', traffic: { requestsPerMinute: 10 }, stable: { errorRate: 0.01, latencyMs: { median: 50, p99: 300 } } },
      'x.json',
    );
    expect(scenario.trigger).toBe('api');
    expect(scenario.traffic?.pattern).toBe('steady');
    expect(scenario.candidate).toMatchObject({ errorRate: 0.01, latencyMs: { median: 50, p99: 300 }, fromMinute: 0, throttleRate: 0 });
    expect(scenario.stable).toMatchObject({ coldStartRate: 0.005, initDurationMs: 250 });
    expect(scenario.candidate).toMatchObject({ coldStartRate: 0.005, initDurationMs: 250 });
  });

  it('reads each version’s cold-start rate and init duration, and refuses a rate above 1', () => {
    const scenario = parseScenario(
      { name: 'x', traffic: { requestsPerMinute: 10 }, stable: { errorRate: 0.01, coldStartRate: 0.01 }, candidate: { coldStartRate: 0.04, initDurationMs: 900 } },
      'x.json',
    );

    expect(scenario.candidate).toMatchObject({ coldStartRate: 0.04, initDurationMs: 900 });
    expect(scenario.stable).toMatchObject({ coldStartRate: 0.01, initDurationMs: 250 });
    expect(() => parseScenario({ name: 'x', traffic: { requestsPerMinute: 10 }, stable: { errorRate: 0.01, coldStartRate: 2 } }, 'x.json')).toThrow(/^x\.json: stable\.coldStartRate: /);
  });

  it('keeps the extension fields it knows', () => {
    const scenario = parseScenario({ ...contractExample, candidate: { ...contractExample.candidate, throttleRate: 0.2, poisonRate: 0.01 } }, 'x');
    expect(scenario.candidate.throttleRate).toBe(0.2);
    expect(scenario.candidate['poisonRate']).toBe(0.01);
  });

  it.each([
    [{ ...contractExample, stable: { errorRte: 0.01, errorRate: 0.01 } }, 'unknown field stable.errorRte (did you mean "errorRate"?)'],
    [{ ...contractExample, candidate: { errorRte: 0.05 } }, 'unknown field candidate.errorRte (did you mean "errorRate"?)'],
    [{ ...contractExample, extra: 1, traffic: { requestsPerMinute: 600, patern: 'steady' } }, 'unknown fields traffic.patern (did you mean "pattern"?), extra'],
    [{ ...contractExample, strategy: { steps: [5], intervalMinutes: 5, stepz: [1] } }, 'unknown field strategy.stepz (did you mean "steps"?)'],
  ])('refuses fields it does not know, all of them in one line (%#)', (input, line) => {
    const attempt = () => parseScenario(input, 'bad.json');
    expect(attempt).toThrow(InvalidRequestError);
    expect(attempt).toThrow(`bad.json: ${line}`);
  });

  it('accepts explicit strategy steps', () => {
    const scenario = parseScenario({ ...contractExample, strategy: { steps: [5, 20, 50], intervalMinutes: 5 } }, 'x');
    expect(scenario.strategy).toEqual({ steps: [5, 20, 50], intervalMinutes: 5 });
  });

  it.each([
    [{ ...contractExample, candidate: { errorRate: 2 } }, 'candidate.errorRate'],
    [{ ...contractExample, traffic: { requestsPerMinute: 600, pattern: 'wavy' } }, 'traffic.pattern'],
    [{ ...contractExample, stable: { errorRate: 0.01, latencyMs: { median: 80, p99: 40 } } }, 'stable.latencyMs.p99'],
    [{ ...contractExample, traffic: undefined }, 'traffic'],
    [{ ...contractExample, traffic: { pattern: 'steady' } }, 'traffic.requestsPerMinute'],
    [{ ...contractExample, trigger: 'sqs', traffic: undefined, queue: undefined }, 'queue'],
    [{ ...contractExample, trigger: 'sqs', traffic: { pattern: 'bursty' }, queue: { batchSize: 10 } }, 'queue.messagesPerMinute'],
    [{ ...contractExample, expect: 'maybe' }, 'expect'],
    [{ ...contractExample, analysis: { alpha: 3 } }, 'analysis.alpha'],
  ])('throws InvalidRequestError naming the field (%#)', (input, field) => {
    const attempt = () => parseScenario(input, 'bad.json');
    expect(attempt).toThrow(InvalidRequestError);
    expect(attempt).toThrow(new RegExp(`^bad\\.json: ${field.replace(/\./g, '\\.')}: `));
  });

  it('reports text that is not JSON in one line', () => {
    expect(() => parseScenario('{ nope', 'broken.json')).toThrow(/^broken\.json: not valid JSON/);
  });

  it('names a scenario after its file when it has no name', () => {
    const { name: _name, ...unnamed } = contractExample;
    expect(parseScenario(unnamed, 'dir/my-case.json').name).toBe('my-case');
  });
});

describe('loadScenario', () => {
  it('resolves a bare name to the shipped scenarios folder', () => {
    const scenario = loadScenario('healthy');
    expect(scenario.name).toBe('healthy');
    expect(scenario.expect).toBe('promote');
  });

  it('reads a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-scenario-'));
    const path = join(dir, 'mine.json');
    writeFileSync(path, JSON.stringify(contractExample));
    expect(loadScenario(path).name).toBe('error-3x');
  });

  it('says which scenarios exist when a name is unknown', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(/no-such-scenario not found; known: .*healthy/);
  });
});

describe('listScenarios', () => {
  it('parses every shipped scenario, each with an expectation', () => {
    const scenarios = listScenarios();
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    for (const scenario of scenarios) expect(['promote', 'rollback']).toContain(scenario.expect);
  });
});
