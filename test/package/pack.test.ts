/**
 * The package as a team installs it: packed with `npm pack`, installed from the tarball into an
 * empty project, and run from there with `npx coalmine`, with nothing from this repository around.
 *
 * It packs dist/ as `npm ci` (through `prepare`) or `npm run build` left it: rebuilding here would
 * pull dist/ from under the other test files that run alongside.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'coalmine-pack-'));
const project = join(work, 'app');

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}
let packed: PackResult;

/** Runs a command in the installed project; resolves with its exit code and output, never throws. */
async function inProject(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: project, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeAll(async () => {
  expect(existsSync(join(root, 'dist', 'cli', 'main.js')), 'dist/ is built (npm ci or npm run build)').toBe(true);
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  packed = (JSON.parse(stdout) as PackResult[])[0]!;
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-team-project', version: '1.0.0', private: true }));
  // The dependencies come from the local npm cache when they are there, as on a developer's machine.
  await run('npm', ['install', '--save-dev', join(work, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, encoding: 'utf8' });
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the compiled command, the template, the state machine, scenarios, viewer assets and one bundle per function', () => {
    const paths = packed.files.map((file) => file.path);
    const template = JSON.parse(readFileSync(join(root, 'dist', 'template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    const functions = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::Function').map(([name]) => name);

    expect(paths).toEqual(expect.arrayContaining(['bin/coalmine.js', 'dist/cli/main.js', 'dist/template.json', 'template.yaml', 'statemachine/canary.asl.json', 'scenarios/healthy.json', 'src/viewer/static/viewer.js']));
    for (const name of functions) expect(paths).toContain(`dist/functions/${name}.zip`);
  });

  it('holds no tests, no TypeScript sources and no repository tooling', () => {
    const paths = packed.files.map((file) => file.path);

    expect(paths.filter((path) => /(^|\/)test\/|\.test\.|\.ts$|^\.ci\/|^scripts\/|^functions\//.test(path))).toEqual([]);
  });

  it('lists as dependencies exactly the packages its compiled command imports (the functions ship bundled)', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    for (const path of packed.files.map((file) => file.path).filter((file) => file.startsWith('dist/cli/') && file.endsWith('.js'))) {
      for (const match of readFileSync(join(root, path), 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*"([@a-z0-9][\w./@-]*)"/g)) {
        const specifier = match[1]!;
        if (specifier.startsWith('node:')) continue;
        imported.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
      }
    }

    expect([...imported].sort()).toEqual(Object.keys(manifest.dependencies).sort());
  });

  it('needs no TypeScript at run time: no tsx among its dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'coalmine', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; private?: boolean };

    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    expect(Object.keys(manifest.dependencies)).not.toContain('typescript');
  });

  // The commands run side by side: each is a separate Node process.
  it.concurrent('runs `npx coalmine run --local` from an empty project, and the canary promotes (exit 0)', async ({ expect }) => {
    const result = await inProject('npx', ['--no', 'coalmine', 'run', '--local', '--json']);

    expect(result.stderr).not.toContain('coalmine:');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'promoted' });
  });

  it.concurrent('runs `npx coalmine bench` on two worker threads, which start from their own file in the package', async ({ expect }) => {
    const result = await inProject('npx', ['--no', 'coalmine', 'bench', '--seeds', '1', '--sqs-seeds', '1', '--policies', 'coalmine', '--workers', '2', '--json', '--out', 'bench-out']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { results: Array<{ scenario: string }>; scenarios: Array<{ name: string }> };
    expect(report.results.map((row) => row.scenario)).toEqual(report.scenarios.map((scenario) => scenario.name));
  });

  it.concurrent('documents `coalmine deploy` in `npx coalmine deploy --help`', async ({ expect }) => {
    const result = await inProject('npx', ['--no', 'coalmine', 'deploy', '--help']);

    expect(result.code).toBe(0);
    for (const flag of ['--stack', '--targets', '--queues', '--notification-topic', '--region', '--profile']) expect(result.stdout).toContain(flag);
  });
});
