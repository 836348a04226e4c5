#!/usr/bin/env node
// The coalmine command. It runs the TypeScript sources through tsx, so a clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/polyfills.ts');
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
