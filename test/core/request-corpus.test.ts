/**
 * The malformed-input corpus (docs/failure-modes.md, bad input): requests and EventBridge events from
 * test/fixtures/malformed/*.json, each run through the real Plan on the simulated account. Every
 * one must be refused with its named error and a one-line message that says which field and why,
 * and leave the alias exactly as it was. Then fast-check throws arbitrary and near-valid input at
 * the request parser and at Plan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BAD_INPUT_ERROR_NAMES, CoalmineError } from '../../src/core/errors.ts';
import type { Assessment } from '../../src/core/judge/index.ts';
import { readOwnerMark } from '../../src/core/ownership.ts';
import { parseRequest } from '../../src/core/request.ts';
import { createSteps } from '../../src/core/steps/index.ts';
import { createSimAccount, type SimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';
import { executionRef } from '../helpers/factories.ts';

const FIXTURES = new URL('../fixtures/malformed/', import.meta.url);
const EVENTS = new URL('../fixtures/events/', import.meta.url);
const ORIGINAL = 'checkout production alias';
const EXECUTION = executionRef('corpus', { region: 'us-east-1', stateMachine: 'coalmine-canary' });
const VALID = { functionName: 'checkout', alias: 'live', candidateVersion: '13' } as const;
/** Plan never asks the judge; a judge that is called fails the test. */
const noJudge = (): Assessment => {
  throw new Error('Plan must not judge');
};

type AccountKind = 'api' | 'sqs-fifo' | 'sqs-unqualified';

interface Case {
  name: string;
  input?: unknown;
  /** A sample event from test/fixtures/events to start from. */
  base?: string;
  set?: Record<string, unknown>;
  delete?: string[];
  account?: AccountKind;
  /** The named error expected. */
  error: string;
  /** A fragment of the message: the field and why. */
  message: string;
}

interface CorpusFile {
  description: string;
  cases: Case[];
}

function loadCorpus(): { file: string; testCase: Case }[] {
  return readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((file) => (JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as CorpusFile).cases.map((testCase) => ({ file, testCase })));
}

/** `{ "$repeat": s, "times": n }` → s repeated; a `"$key"` entry → a key of that (long) name. */
function expand(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expand);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (typeof record['$repeat'] === 'string' && typeof record['times'] === 'number') return record['$repeat'].repeat(record['times']);
  // Object.fromEntries keeps "__proto__" as an own field, as JSON.parse does.
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => (key === '$key' ? [expand(inner) as string, true] : [key, expand(inner)])));
}

function inputOf(testCase: Case): unknown {
  if (!testCase.base) return expand(testCase.input);
  const event = JSON.parse(readFileSync(new URL(`${testCase.base}.json`, EVENTS), 'utf8')) as Record<string, unknown>;
  for (const [path, value] of Object.entries(testCase.set ?? {})) {
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce((node, key) => node[key] as Record<string, unknown>, event);
    parent[keys.at(-1)!] = expand(value);
  }
  for (const path of testCase.delete ?? []) {
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce((node, key) => node[key] as Record<string, unknown>, event);
    delete parent[keys.at(-1)!];
  }
  return event;
}

/** The simulated account: `checkout` with versions 1..13, alias `live` on 12, opted in to PublishVersion canaries. */
function account(kind: AccountKind = 'api'): SimAccount {
  const queue = { messagesPerMinute: 60, batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 3 };
  return createSimAccount(
    parseScenario(
      {
        name: `corpus-${kind}`,
        minutes: 30,
        stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
        ...(kind === 'api' ? { traffic: { requestsPerMinute: 60 } } : { trigger: 'sqs', queue: { ...queue, ...(kind === 'sqs-fifo' ? { fifo: true } : { mappingOn: 'function' }) } }),
        account: { description: ORIGINAL, tags: { 'coalmine:alias': 'live' } },
      },
      `corpus-${kind}.json`,
    ),
    { seed: 1, warmupMinutes: 20 },
  );
}

async function refusal(plan: Promise<unknown>): Promise<Error> {
  try {
    await plan;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`Plan threw a non-error: ${String(error)}`);
  }
  throw new Error('Plan accepted the input');
}

const corpus = loadCorpus();

describe('the malformed-input corpus', () => {
  it('holds at least 40 requests and events, each with a named error and a message', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(corpus.filter(({ testCase }) => testCase.base !== undefined || (testCase.input as { 'detail-type'?: unknown } | null)?.['detail-type'] !== undefined).length).toBeGreaterThanOrEqual(15);
    for (const { testCase } of corpus) expect(BAD_INPUT_ERROR_NAMES).toContain(testCase.error);
  });

  it.each(corpus.map(({ file, testCase }) => [`${file.replace('.json', '')}: ${testCase.name}`, testCase] as const))(
    'Plan refuses %s, names the field, and leaves the alias untouched',
    async (_, testCase) => {
      const sim = account(testCase.account);
      const before = sim.aliasNow();

      const error = await refusal(createSteps(sim.ports, { judge: noJudge }).plan({ request: inputOf(testCase), execution: EXECUTION }));

      expect(error.name).toBe(testCase.error);
      expect(error).toBeInstanceOf(CoalmineError);
      expect(error.message).toContain(testCase.message);
      expect(error.message).not.toMatch(/[\r\n]/);
      expect(error.message.length).toBeLessThanOrEqual(500);
      expect(sim.aliasNow()).toEqual(before);
      expect(sim.faults.count('router.updateAlias')).toBe(0);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Fuzzing
// ---------------------------------------------------------------------------------------------

/** What parseRequest may throw: named Coalmine errors, nothing else. */
const PARSE_ERRORS = ['InvalidRequestError', 'InvalidVersionError'];

const nasty = fc.constantFrom(
  '',
  ' ',
  '$LATEST',
  'latest',
  '0',
  '-1',
  '1e3',
  '13 ',
  'live; rm -rf /',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '\u0000',
  '\u202elive',
  'l\u00efve',
  '💥',
  'arn:aws:lambda:us-east-1:123456789012:function:checkout:live',
  'x'.repeat(100_000),
);

const anyValue = fc.oneof(fc.jsonValue(), nasty, fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));

const fields = ['functionName', 'alias', 'candidateVersion', 'stableVersion', 'strategy', 'analysis', 'redriveOnRollback', 'allowFifo'] as const;

/** A valid request with one to three of its fields broken, removed, or joined by a stranger. */
const nearValid = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), field: fc.constantFrom(...fields), value: anyValue }),
      fc.record({ kind: fc.constant('delete' as const), field: fc.constantFrom(...fields) }),
      fc.record({ kind: fc.constant('add' as const), field: fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('functonName', 'alais', '__proto__', 'constructor', 'candidate')), value: anyValue }),
      fc.record({ kind: fc.constant('analysis' as const), field: fc.constantFrom('alpha', 'errorTolerance', 'maxExtensionMinutes', 'minRequests', 'settleSeconds', 'alpah'), value: anyValue }),
      fc.record({ kind: fc.constant('steps' as const), field: fc.constant('strategy'), value: fc.record({ steps: fc.array(fc.oneof(fc.integer({ min: -10, max: 200 }), fc.double())), intervalMinutes: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double()) }) }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((mutations) => {
    const request: Record<string, unknown> = { ...VALID, stableVersion: '12', strategy: 'Canary10Percent5Minutes', analysis: { alpha: 0.01 } };
    for (const mutation of mutations) {
      if (mutation.kind === 'delete') delete request[mutation.field];
      else if (mutation.kind === 'analysis') request['analysis'] = { ...(request['analysis'] as object), [mutation.field]: mutation.value };
      else Object.defineProperty(request, mutation.field, { value: mutation.value, enumerable: true, writable: true, configurable: true });
    }
    return request;
  });

function expectNamedOneLine(error: unknown, names: readonly string[]): void {
  expect(error).toBeInstanceOf(CoalmineError);
  const { name, message } = error as Error;
  expect(names).toContain(name);
  expect(message).not.toMatch(/[\r\n]/);
  expect(message.length).toBeLessThanOrEqual(500);
  expect(message).toMatch(/^.{1,80}?: /);
}

describe('parseRequest under fuzzing', () => {
  it('throws only named Coalmine errors, one line that starts with the field, for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        try {
          parseRequest(input);
        } catch (error) {
          expectNamedOneLine(error, PARSE_ERRORS);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('throws only named Coalmine errors, one line that starts with the field, for near-valid requests', () => {
    fc.assert(
      fc.property(nearValid, (input) => {
        try {
          const request = parseRequest(input);
          // What it accepts is what Plan can use: names and versions in Lambda's forms.
          expect(request.functionName).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
          expect(request.alias).toMatch(/^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/);
          expect(request.candidateVersion).toMatch(/^([1-9][0-9]{0,9}|latest)$/);
        } catch (error) {
          expectNamedOneLine(error, PARSE_ERRORS);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Plan under fuzzing', () => {
  it('either takes the alias for this execution or refuses with a named bad-input error and touches nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: nearValid }, { weight: 1, arbitrary: fc.jsonValue() }), async (input) => {
        const sim = account();
        const before = sim.aliasNow();
        try {
          await createSteps(sim.ports, { judge: noJudge }).plan({ request: input, execution: EXECUTION });
          expect(readOwnerMark(sim.aliasNow().description)?.owner).toBe(EXECUTION.name);
          expect(sim.aliasNow().weights).toEqual({});
        } catch (error) {
          expectNamedOneLine(error, BAD_INPUT_ERROR_NAMES);
          expect(sim.aliasNow()).toEqual(before);
        }
      }),
      { numRuns: 150 },
    );
  });
});
