import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { yamlParse } from 'yaml-cfn';

const root = fileURLToPath(new URL('../..', import.meta.url));
const template = yamlParse(readFileSync(join(root, 'template.yaml'), 'utf8')) as {
  Resources: Record<string, { Type: string; Metadata?: { BuildMethod?: string; BuildProperties?: Record<string, unknown> } }>;
};
const outRoot = mkdtempSync(join(tmpdir(), 'coalmine-bundle-'));

afterAll(() => {
  rmSync(outRoot, { recursive: true, force: true });
});

/** `key=value` pairs, as SAM's esbuild builder takes OutExtension and Banner. */
function pairs(values: unknown): Record<string, string> {
  return Object.fromEntries(
    ((values as string[] | undefined) ?? []).map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The esbuild options SAM derives from a function's BuildProperties (bundled, for Node). */
function optionsFrom(properties: Record<string, unknown>, outdir: string): BuildOptions {
  return {
    entryPoints: (properties['EntryPoints'] as string[]).map((entry) => join(root, entry)),
    bundle: true,
    platform: 'node',
    outdir,
    format: properties['Format'] as BuildOptions['format'],
    target: properties['Target'] as string,
    sourcemap: properties['Sourcemap'] === true,
    minify: properties['Minify'] === true,
    outExtension: pairs(properties['OutExtension']),
    banner: pairs(properties['Banner']),
    absWorkingDir: root,
    logLevel: 'silent',
  };
}

const functions = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::Function');

describe.each(functions)('the %s bundle', (name, resource) => {
  it('builds from the template’s BuildProperties and loads in Node as ESM exporting handler', async () => {
    const outdir = join(outRoot, name);
    const properties = resource.Metadata?.BuildProperties ?? {};
    const result = await build({ ...optionsFrom(properties, outdir), metafile: true });
    const outputs = Object.keys(result.metafile!.outputs).filter((file) => file.endsWith('.mjs'));

    expect(result.errors).toEqual([]);
    expect(outputs).toHaveLength(1);
    // Handler `handler.handler` in Globals means the bundle must be handler.mjs at the root.
    expect(outputs[0]!.endsWith('/handler.mjs')).toBe(true);

    // Load it the way the Lambda runtime would: a fresh Node process, no AWS configuration at all.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
    const file = pathToFileURL(join(root, outputs[0]!)).href;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`], {
      env: { ...env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(loaded.trim()).toBe('function');
  });
});
