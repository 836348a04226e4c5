/**
 * Where the package's own files are (the state machine definition, the scenarios, the viewer's
 * assets), found from the package root rather than from this module: the same code runs from the
 * TypeScript sources in a clone and from the compiled bundle in dist/ of an installed package,
 * which sit at different depths.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'coalmine';

let root: string | undefined;

/** The nearest folder above this module whose package.json is Coalmine's. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A file of the package, e.g. `packageFile('statemachine', 'canary.asl.json')`. */
export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
