import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

describe.each(functions.map((fn) => fn.name))('the %s bundle', (name) => {
  it('builds from the template’s BuildProperties and loads in Node as ESM exporting handler', () => {
    const bundle = bundles.find((candidate) => candidate.name === name)!;

    // Handler `handler.handler` in Globals means the bundle must be handler.mjs at the root.
    expect(bundle.files.filter((file) => file.endsWith('.mjs'))).toEqual(['handler.mjs']);

    // Load it the way the Lambda runtime would: a fresh Node process, no AWS configuration at all.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
    const file = pathToFileURL(join(bundle.dir, 'handler.mjs')).href;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`], {
      env: { ...env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(loaded.trim()).toBe('function');
  });
});
