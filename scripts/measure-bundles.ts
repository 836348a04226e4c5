/**
 * Measures the Lambda bundles: builds each function as the template declares (scripts/bundles.ts)
 * and reports its size and its cold-import time, the median over fresh Node processes of
 * `await import(bundle)`: reading, compiling and running the module's top level, clients included,
 * which is what a cold start adds to the runtime's own start (the CPU time spent, and the wall time).
 *
 *   npm run measure:bundles [-- --runs 15] [--sdk-from-runtime]
 *
 * `--sdk-from-runtime` measures the alternative the template does not take: the AWS SDK left out of
 * the bundles (External @aws-sdk/* and @smithy/*) and loaded, as the runtime's copy would be, from
 * node_modules. Prints a Markdown table (docs/operations.md, "Lambda bundles").
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleFunctions, ROOT, templateFunctions } from './bundles.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '11' }, 'sdk-from-runtime': { type: 'boolean', default: false } } });
const sdkFromRuntime = values['sdk-from-runtime'];
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number of runs, got ${values.runs}`);

/**
 * One cold import in a fresh Node process with no AWS configuration, as the bundle test loads it:
 * the CPU time the process spent on it (which other work on a busy machine inflates less), and the
 * wall time.
 */
function coldImport(file: string): { cpuMs: number; wallMs: number } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const script = [
    'const cpu = process.cpuUsage(); const start = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const used = process.cpuUsage(cpu);',
    'console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start }));',
  ].join(' ');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...env, COALMINE_LOG_LEVEL: 'SILENT' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as { cpuMs: number; wallMs: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// Left-out packages resolve from node_modules only if the bundles sit in the repository.
const outRoot = mkdtempSync(sdkFromRuntime ? join(ROOT, '.measure-bundles-') : join(tmpdir(), 'coalmine-measure-'));
try {
  const functions = templateFunctions().map((fn) => {
    if (!sdkFromRuntime) return fn;
    const external = [...((fn.properties['External'] as string[] | undefined) ?? []), '@aws-sdk/*', '@smithy/*'];
    return { ...fn, properties: { ...fn.properties, External: external } };
  });
  const bundles = await bundleFunctions(functions, outRoot);
  const sdk = sdkFromRuntime ? 'AWS SDK left out, loaded from node_modules' : 'as template.yaml builds them';
  console.log(`Node ${process.version}, ${arch()}, ${cpus()[0]?.model ?? 'unknown CPU'}; ${sdk}; cold import: median of ${runs} fresh processes\n`);
  console.log('| Function | Bundle (KB) | Cold import, CPU (ms) | Cold import, wall (ms) |');
  console.log('|---|--:|--:|--:|');
  for (const bundle of bundles) {
    const file = join(bundle.dir, 'handler.mjs');
    const imports = Array.from({ length: runs }, () => coldImport(file));
    const cpu = median(imports.map((one) => one.cpuMs));
    const wall = median(imports.map((one) => one.wallMs));
    console.log(`| ${bundle.name} | ${(statSync(file).size / 1024).toFixed(1)} | ${cpu.toFixed(0)} | ${wall.toFixed(0)} |`);
  }
} finally {
  rmSync(outRoot, { recursive: true, force: true });
}
