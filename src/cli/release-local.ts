/**
 * `coalmine run --local --release FILE`: a release in waves on simulated accounts, through the real
 * release and canary state machine definitions. Prints each wave as it starts, each target as its
 * canary ends, the bakes, the roll-back of the release, and a summary; with `--json`, only the
 * release object (docs/contract.md §3). Exit codes as `run`.
 */
import { join, relative, resolve } from 'node:path';
import { writeReleaseRecord } from '../viewer/release-view.ts';
import { isBadInputError } from '../core/errors.ts';
import { parseRelease } from '../core/release.ts';
import { runLocalRelease, type ReleaseEvent, type ReleaseResult } from '../local/release.ts';
import { loadScenario, parseScenario, type Scenario } from '../sim/scenario.ts';
import { ansi, plain, type Palette } from './colours.ts';
import { errorLine, EXIT, exitCodeForOutcome, failureJson } from './exit-codes.ts';
import type { Output } from './io.ts';
import { parseOptionJson } from './options.ts';
import { readInputFile } from '../input-file.ts';

/** Where it writes (as `run`'s io): colours only on a terminal; paths resolved from `cwd`. */
export interface ReleaseIo {
  stdout: Output;
  stderr: Output;
  isTTY?: boolean;
  cwd?: string;
}

export async function runReleaseCommand(options: { release: string; seed: number; json: boolean }, io: ReleaseIo): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const style = (io.isTTY ?? io.stdout.isTTY ?? false) && !options.json ? ansi : plain;
  let result: ReleaseResult;
  let recordPath: string;
  try {
    const release = parseRelease(parseOptionJson('--release', readInputFile('--release', resolve(cwd, options.release), options.release), options.release));
    const scenarioOf = (name: string): Scenario => (/[/\\]|\.json$/.test(name) ? readScenario(resolve(cwd, name), name) : loadScenario(name));
    if (!options.json) {
      const targets = release.input.waves.reduce((sum, wave) => sum + wave.targets.length, 0);
      io.stdout.write(`${style.bold('coalmine run --local --release')} · ${release.input.name} · ${release.input.waves.length} waves, ${targets} targets · onFailure ${release.input.onFailure} · seed ${options.seed}\n`);
    }
    const recordDir = join(cwd, '.coalmine', 'executions');
    result = await runLocalRelease({ release, seed: options.seed, scenarioOf, recordDir, ...(options.json ? {} : { onEvent: (event) => printEvent(io, style, event) }) });
    // The console lists releases beside the executions of their canaries.
    recordPath = writeReleaseRecord(join(cwd, '.coalmine', 'releases'), { name: release.input.name, seed: options.seed, onFailure: release.input.onFailure, recordedAt: new Date().toISOString(), result });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const bad = name === 'InvalidRequestError' || isBadInputError(name);
    io.stderr.write(bad ? `${errorLine(error)}\n` : `coalmine run: ${errorLine(error)}\n`);
    // With --json, stdout holds one JSON object whatever happened.
    if (options.json) io.stdout.write(`${JSON.stringify(failureJson(name || 'Error', errorLine(error)))}\n`);
    return bad ? EXIT.badInput : EXIT.failed;
  }
  if (options.json) io.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    for (const line of releaseSummary(result, style)) io.stdout.write(`${line}\n`);
    io.stdout.write(style.dim(`record: ${relative(cwd, recordPath)} (npx coalmine console shows it)\n`));
  }
  return exitCodeForOutcome(result.outcome, result.errorName, result.rollbackKind);
}

function printEvent(io: ReleaseIo, style: Palette, event: ReleaseEvent): void {
  const out = io.stdout;
  if (event.type === 'wave-started') out.write(`${style.bold(`Wave ${event.wave + 1}: ${event.name}`)}\n`);
  else if (event.type === 'target-started') out.write(style.dim(`  ${event.key}: canary started\n`));
  else if (event.type === 'target-ended' && event.stopped) {
    out.write(`  ${event.key}: ${style.red('stopped')}: ${event.stopped.because}${event.stopped.cleanup ? `; ${event.stopped.cleanup}` : ''}\n`);
  } else if (event.type === 'target-ended') {
    const { outcome, reason, minutesToDecision } = event.result;
    const word = outcome === 'promoted' ? style.green('promoted') : outcome === 'rolled-back' ? style.red('rolled back') : style.red('failed');
    out.write(`  ${event.key}: ${word} after ${minutesToDecision ?? '—'} min: ${reason}\n`);
  } else if (event.type === 'bake') out.write(`  bake ${event.seconds / 60} min before the next wave\n`);
  else if (event.type === 'restored') out.write(`  ${style.bold('roll back the release')} · ${event.key}: ${event.reason}\n`);
}

export function releaseSummary(result: ReleaseResult, style: Palette = plain): string[] {
  const title = result.outcome === 'promoted' ? style.green(style.bold('Promoted everywhere')) : style.red(style.bold(result.outcome === 'rolled-back' ? 'Release rolled back' : 'Release failed'));
  const lines = [`${title}: ${result.reason}`];
  for (const wave of result.waves) {
    lines.push(`  ${wave.name}: ${wave.outcome}`);
    for (const target of wave.targets) {
      const routing = Object.entries(target.alias.routing);
      const alias = `version ${target.alias.version}${routing.length ? ` with ${routing.map(([v, w]) => `${w}% on ${v}`).join(', ')}` : ''}`;
      lines.push(`    ${target.region} ${target.functionName}:${target.alias.name}  ${target.outcome}  (alias on ${alias})`);
    }
  }
  return lines;
}

function readScenario(path: string, shown: string): Scenario {
  return parseScenario(readInputFile('scenario', path, shown), shown);
}
