import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunctions, ROOT, templateFunctions, type BuiltBundle } from '../../scripts/bundles.ts';

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
 * Every byte of a bundle is read and compiled at each cold start. A bundle holds Coalmine's code and
 * zod/mini; the AWS SDK is the runtime's own (docs/operations.md, "Lambda bundles": bundled, it took
 * 230–290 KB of each function by itself).
 */
const MAX_BUNDLE_BYTES = 300 * 1024;

/** The SDK client that each IAM service prefix calls for. */
const CLIENT_OF_SERVICE: Record<string, string> = { lambda: 'client-lambda', cloudwatch: 'client-cloudwatch', sqs: 'client-sqs', states: 'client-sfn' };

/**
 * Where the nodejs22.x runtime's require() finds the SDK it includes: NODE_PATH, which holds
 * /var/runtime/node_modules. Here, the SDK the tests run against, in the repository's node_modules.
 */
const RUNTIME_NODE_PATH = join(ROOT, 'node_modules');

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

  it('builds from the template’s BuildProperties and loads in Node as CommonJS exporting handler', () => {
    const bundle = bundleOf();

    // Handler `handler.handler` in Globals: the runtime requires handler.cjs at the root.
    expect(bundle.handler).toBe('handler.cjs');
    expect(bundle.files.filter((file) => !file.endsWith('.map'))).toEqual(['handler.cjs']);

    // Load it the way the Lambda runtime would: a fresh Node process, require(), no AWS configuration
    // at all, and the SDK found only through NODE_PATH (the bundle is in a temporary directory, with no
    // node_modules beside it or above it).
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && key !== 'NODE_PATH'));
    const file = join(bundle.dir, bundle.handler);
    const loaded = execFileSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(file)}).handler);`], {
      env: { ...env, NODE_PATH: RUNTIME_NODE_PATH, COALMINE_LOG_LEVEL: 'SILENT' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(loaded.trim()).toBe('function');
  });

  it('leaves out only the AWS SDK, which the runtime includes, and carries everything else', () => {
    const packages = bundleOf().externals.filter((path) => !path.startsWith('node:'));

    expect(packages.filter((path) => !/^@(aws-sdk|smithy)\//.test(path))).toEqual([]);
    expect(bundledInputs(bundleOf()).filter((input) => /^node_modules\/@(aws-sdk|smithy)\//.test(input))).toEqual([]);
  });

  it('loads the SDK clients of the services its IAM policy grants, and no others', () => {
    const clients = new Set(bundleOf().externals.map((path) => /^@aws-sdk\/(client-[a-z0-9-]+)$/.exec(path)?.[1]).filter((client) => client !== undefined));

    expect(clients).toEqual(new Set([...servicesIn(fn.policies)].map((service) => CLIENT_OF_SERVICE[service] ?? `a client for ${service}`)));
  });

  it('validates with zod/mini, not the full zod', () => {
    expect(bundledInputs(bundleOf()).filter((input) => input.startsWith('node_modules/zod/v4/classic/'))).toEqual([]);
  });

  it(`is ${MAX_BUNDLE_BYTES / 1024} KB or less`, () => {
    const bytes = statSync(join(bundleOf().dir, bundleOf().handler)).size;

    expect(bytes, `${name}: ${(bytes / 1024).toFixed(1)} KB`).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });
});
