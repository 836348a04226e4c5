/**
 * The CLI tests' working folder: a fresh temporary folder for each test, the CLI's output captured
 * in memory, and the folder removed after the test.
 *
 * @example
 * let cwd: string;
 * let io: SandboxIo;
 * cliSandbox('coalmine-run-', (dir, captured) => ((cwd = dir), (io = captured)));
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { BufferOutput } from '../../src/cli/io.ts';
import type { RunIo } from '../../src/cli/run.ts';

export type SandboxIo = RunIo & { stdout: BufferOutput; stderr: BufferOutput };

export function cliSandbox(prefix: string, use: (cwd: string, io: SandboxIo) => void): void {
  let cwd = '';
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), prefix));
    use(cwd, { stdout: new BufferOutput(), stderr: new BufferOutput(), isTTY: false, cwd });
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));
}
