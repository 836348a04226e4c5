/**
 * Measures the Lambda bundles: builds each function as the template declares (scripts/bundles.ts)
 * and reports its size and its cold-import time, the median over fresh Node processes of loading the
 * bundle as the Lambda runtime does (require() for handler.cjs, import() for an ES module): reading,
 * compiling and running the module's top level, the SDK clients it loads and builds included, which
 * is what a cold start adds to the runtime's own start (the CPU time spent, and the wall time).
 *
 *   npm run measure:bundles [-- --runs 15] [--sdk-bundled] [--packages]
 *
 * The SDK is found as the runtime's require() finds its own: through NODE_PATH, here the repository's
 * node_modules. `--sdk-bundled` measures the alternative the template no longer takes: the AWS SDK
 * inside each bundle, as ES modules tree-shaken by esbuild (Format esm, MainFields module,main; only
 * the credential sources Lambda never reaches left out). `--packages` says instead where each
 * bundle's bytes come from, by esbuild's metafile: the SDK's core, its other packages, each client,
 * Coalmine's code and zod. Prints a Markdown table (docs/operations.md, "Lambda bundles").
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleFunctions, ROOT, templateFunctions, type BuiltBundle, type FunctionBuild } from './bundles.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '11' }, 'sdk-bundled': { type: 'boolean', default: false }, packages: { type: 'boolean', default: false } },
});
const sdkBundled = values['sdk-bundled'];
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number of runs, got ${values.runs}`);

/** The BuildProperties that bundled the SDK, before the template left it to the runtime. */
function withSdkBundled(fn: FunctionBuild): FunctionBuild {
  const neverReached = ['ini', 'process', 'sso', 'web-identity', 'http'].map((source) => `@aws-sdk/credential-provider-${source}`);
  return {
    ...fn,
    properties: {
      ...fn.properties,
      Format: 'esm',
      OutExtension: ['.js=.mjs'],
      Banner: ["js=import { createRequire } from 'module'; const require = createRequire(import.meta.url);"],
      MainFields: 'module,main',
      External: [...neverReached, '@smithy/credential-provider-imds'],
    },
  };
}

/**
 * One cold import in a fresh Node process with no AWS configuration, as the bundle test loads it:
 * the CPU time the process spent on it (which other work on a busy machine inflates less), and the
 * wall time.
 */
function coldImport(file: string): { cpuMs: number; wallMs: number } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const load = file.endsWith('.mjs') ? `await import(${JSON.stringify(pathToFileURL(file).href)});` : `require(${JSON.stringify(file)});`;
  const script = [
    'const cpu = process.cpuUsage(); const start = performance.now();',
    load,
    'const used = process.cpuUsage(cpu);',
    'console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start }));',
  ].join(' ');
  // An ES module's top-level await needs a module; require() needs CommonJS.
  const args = file.endsWith('.mjs') ? ['--input-type=module', '-e', script] : ['-e', `(async () => { ${script} })();`];
  const out = execFileSync(process.execPath, args, {
    env: { ...env, NODE_PATH: join(ROOT, 'node_modules'), COALMINE_LOG_LEVEL: 'SILENT' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out) as { cpuMs: number; wallMs: number };
}

/** Which part of a bundle an esbuild input belongs to. */
function partOf(input: string): string {
  const client = /^node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input)?.[1];
  if (client) return client;
  if (input.startsWith('node_modules/@smithy/core/')) return '@smithy/core';
  if (/^node_modules\/@(aws-sdk|smithy|aws)\//.test(input)) return 'other SDK packages';
  if (input.startsWith('node_modules/zod/')) return 'zod';
  return input.startsWith('node_modules/') ? input : 'Coalmine';
}

/** KB of each part of a bundle, largest first. */
function parts(bundle: BuiltBundle): string {
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(bundle.inputs)) bytes.set(partOf(input), (bytes.get(partOf(input)) ?? 0) + bytesInOutput);
  return [...bytes].filter(([, size]) => size > 0).sort((a, b) => b[1] - a[1]).map(([part, size]) => `${part} ${(size / 1024).toFixed(1)}`).join(', ');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// Outside the repository: nothing resolves from node_modules but through NODE_PATH.
const outRoot = mkdtempSync(join(tmpdir(), 'coalmine-measure-'));
try {
  const functions = templateFunctions().map((fn) => (sdkBundled ? withSdkBundled(fn) : fn));
  const bundles = await bundleFunctions(functions, outRoot);
  const sdk = sdkBundled ? 'AWS SDK bundled (the alternative)' : "as template.yaml builds them, the AWS SDK from NODE_PATH (the runtime's)";
  if (values.packages) {
    console.log(`Where the bytes come from (KB); ${sdk}\n`);
    console.log('| Function | Bundle (KB) | Parts (KB) |');
    console.log('|---|--:|---|');
    for (const bundle of bundles) console.log(`| ${bundle.name} | ${(statSync(join(bundle.dir, bundle.handler)).size / 1024).toFixed(1)} | ${parts(bundle)} |`);
  } else {
    console.log(`Node ${process.version}, ${arch()}, ${cpus()[0]?.model ?? 'unknown CPU'}; ${sdk}; cold import: median of ${runs} fresh processes\n`);
    console.log('| Function | Bundle (KB) | Cold import, CPU (ms) | Cold import, wall (ms) |');
    console.log('|---|--:|--:|--:|');
    for (const bundle of bundles) {
      const file = join(bundle.dir, bundle.handler);
      const imports = Array.from({ length: runs }, () => coldImport(file));
      const cpu = median(imports.map((one) => one.cpuMs));
      const wall = median(imports.map((one) => one.wallMs));
      console.log(`| ${bundle.name} | ${(statSync(file).size / 1024).toFixed(1)} | ${cpu.toFixed(0)} | ${wall.toFixed(0)} |`);
    }
  }
} finally {
  rmSync(outRoot, { recursive: true, force: true });
}
