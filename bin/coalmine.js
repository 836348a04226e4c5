#!/usr/bin/env node
// The coalmine command: the compiled CLI in dist/ (`npm run build` makes it; `npm ci` and `npm pack` run the build).
try {
  await import('../dist/cli/polyfills.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write('coalmine: dist/ is missing; run `npm run build` in the coalmine folder\n');
  process.exit(1);
}
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv);
