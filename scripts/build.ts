/**
 * Builds what the published package runs, into dist/ (`npm run build`; `prepare` runs it, so
 * `npm ci` in a clone and `npm pack` both leave it built):
 *
 *   dist/cli/                  the coalmine command, compiled to JavaScript (bin/coalmine.js runs it),
 *                              and bench-worker.js, the worker threads of `coalmine bench`
 *   dist/functions/NAME.zip    each Lambda function of template.yaml, bundled as the template declares
 *   dist/template.json         template.yaml as JSON, which `coalmine deploy` rewrites and deploys
 *
 * `--cli` builds only dist/cli/ (what `npm start` and `npm run bench` need after an edit).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { yamlParse } from 'yaml-cfn';
import { bundleFunctions, ROOT, templateFunctions } from './bundles.ts';
import { zip } from './zip.ts';

const DIST = join(ROOT, 'dist');

async function buildCli(): Promise<void> {
  await build({
    // `coalmine bench` runs its scenarios on worker threads, which start from a file of their own (src/bench/parallel.ts).
    entryPoints: { polyfills: join(ROOT, 'src/polyfills.ts'), main: join(ROOT, 'src/cli/main.ts'), 'bench-worker': join(ROOT, 'src/bench/worker.ts') },
    outdir: join(DIST, 'cli'),
    bundle: true,
    // Each command's module is imported when the command runs: a chunk each, so `run --local`
    // never loads the AWS SDK and `--help` loads almost nothing.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // The dependencies are installed beside the package; only Coalmine's own code is compiled.
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  });
}

async function buildFunctions(): Promise<void> {
  const staging = join(DIST, 'functions', '.bundles');
  const bundles = await bundleFunctions(templateFunctions(), staging);
  await Promise.all(
    bundles.map(async (bundle) => {
      const entries = bundle.files.map((file) => ({ name: file, data: readFileSync(join(bundle.dir, file)) }));
      writeFileSync(join(DIST, 'functions', `${bundle.name}.zip`), await zip(entries));
    }),
  );
  rmSync(staging, { recursive: true, force: true });
}

function buildTemplate(): void {
  const template = yamlParse(readFileSync(join(ROOT, 'template.yaml'), 'utf8'));
  writeFileSync(join(DIST, 'template.json'), `${JSON.stringify(template, null, 1)}\n`);
}

if (process.argv.includes('--cli')) {
  rmSync(join(DIST, 'cli'), { recursive: true, force: true });
  await buildCli();
} else {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, 'functions'), { recursive: true });
  await Promise.all([buildCli(), buildFunctions()]);
  buildTemplate();
}
