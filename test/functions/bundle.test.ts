import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunctions, templateFunctions, type BuiltBundle } from '../../scripts/bundles.ts';

const outRoot = mkdtempSync(join(tmpdir(), 'coalmine-bundle-'));
const functions = templateFunctions();
let bundles: BuiltBundle[] = [];

beforeAll(async () => {
  // The same function that builds the package's prebuilt bundles (scripts/build.ts).
  bundles = await bundleFunctions(functions, outRoot);
}, 120_000);

afterAll(() => {
  rmSync(outRoot, { recursive: true, force: true });
});

/**
 * Every byte of a bundle is read and compiled at each cold start. The AWS SDK bundled alone,
 * minified and tree-shaken, is about 237 KB for Lambda's client and 286 KB for Lambda's,
 * CloudWatch's and SQS's together (docs/operations.md, "Lambda bundles"): a function that calls one
 * service has room for Coalmine's own code and zod/mini, and none for a second copy of any of them.
 */
const MAX_BUNDLE_BYTES = 300 * 1024;

/**
 * Plan (Lambda, CloudWatch and SQS), Cleanup (Lambda, Step Functions and SQS) and Evaluate (Lambda
 * and CloudWatch) call more than one service, and each client's schemas and errors add 20–90 KB to
 * the shared SDK core: they cannot fit 300 KB with the SDK bundled (docs/operations.md, "Lambda
 * bundles", says why it stays bundled). Each further service gets 40 KB more.
 */
const EXTRA_SERVICE_BYTES = 40 * 1024;

/**
 * Plan also carries the forecast (src/core/forecast.ts: the bar, the weights and the promotion-time
 * law worked out before any traffic moves) and the alias' hourly history reader: pure code that no
 * other function needs, 6 KB more.
 */
const FORECAST_BYTES = 6 * 1024;

/** The SDK client that each IAM service prefix calls for. */
const CLIENT_OF_SERVICE: Record<string, string> = { lambda: 'client-lambda', cloudwatch: 'client-cloudwatch', sqs: 'client-sqs', states: 'client-sfn' };

/** The services whose actions a policy grants, found among its strings (conditional statements included). */
function servicesIn(policies: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node === 'string') {
      const action = /^([a-z0-9-]+):[A-Za-z]+$/.exec(node);
      if (action) found.add(action[1]!);
    } else if (node && typeof node === 'object') {
      for (const value of Object.values(node)) visit(value);
    }
  };
  visit(policies);
  return found;
}

/** The source files with code in the bundle once tree-shaken (node_modules/… for packages). */
const bundledInputs = (bundle: BuiltBundle) => Object.entries(bundle.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path);

describe.each(functions.map((fn) => [fn.name, fn] as const))('the %s bundle', (name, fn) => {
  const bundleOf = () => bundles.find((candidate) => candidate.name === name)!;

  it('builds from the template’s BuildProperties and loads in Node as ESM exporting handler', () => {
    const bundle = bundleOf();

    // Handler `handler.handler` in Globals means the bundle must be handler.mjs at the root.
    expect(bundle.files.filter((file) => file.endsWith('.mjs'))).toEqual(['handler.mjs']);

    // Load it the way the Lambda runtime would: a fresh Node process, no AWS configuration at all,
    // and no node_modules to fall back on (the bundle is in a temporary directory).
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
    const file = pathToFileURL(join(bundle.dir, 'handler.mjs')).href;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`], {
      env: { ...env, COALMINE_LOG_LEVEL: 'SILENT' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(loaded.trim()).toBe('function');
  });

  it('bundles the SDK clients of the services its IAM policy grants, and no others', () => {
    const clients = new Set(bundledInputs(bundleOf()).map((input) => /^node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input)?.[1]).filter((client) => client !== undefined));

    expect(clients).toEqual(new Set([...servicesIn(fn.policies)].map((service) => CLIENT_OF_SERVICE[service] ?? `a client for ${service}`)));
  });

  it('validates with zod/mini, not the full zod', () => {
    expect(bundledInputs(bundleOf()).filter((input) => input.startsWith('node_modules/zod/v4/classic/'))).toEqual([]);
  });

  const services = servicesIn(fn.policies).size;
  const limit = MAX_BUNDLE_BYTES + EXTRA_SERVICE_BYTES * Math.max(0, services - 1) + (name === 'PlanFunction' ? FORECAST_BYTES : 0);

  it(`is ${limit / 1024} KB or less (it calls ${services} AWS service${services === 1 ? '' : 's'})`, () => {
    const bytes = statSync(join(bundleOf().dir, 'handler.mjs')).size;

    expect(bytes, `${name}: ${(bytes / 1024).toFixed(1)} KB`).toBeLessThanOrEqual(limit);
  });
});
