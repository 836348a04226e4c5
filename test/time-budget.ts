/**
 * A vitest reporter that keeps the test run inside its time budget: after every run it prints how
 * long the run took against the budget, and the slowest files; in CI (CI set), a run over budget
 * fails. It only warns on a developer's machine, and on any machine busy with other work (a load
 * average above 3 per core, far beyond what this run makes itself): wall time measured there says
 * more about the neighbours than about the tests.
 *
 * The budget covers vitest; `npm test` adds the type check (tsc) before it.
 */
import { availableParallelism, loadavg } from 'node:os';
import type { Reporter, TestModule } from 'vitest/node';

const BUSY_LOAD_PER_CORE = 3;

/** Seconds. `npm test` must stay well under five minutes on CI; tsc takes well under a minute. */
export const TEST_TIME_BUDGET_SECONDS = Number(process.env['COALMINE_TEST_BUDGET_SECONDS'] ?? 200);

export default class TimeBudget implements Reporter {
  private started = performance.now();

  onTestRunStart(): void {
    this.started = performance.now();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const seconds = (performance.now() - this.started) / 1000;
    const slowest = modules
      .map((module) => ({ file: module.relativeModuleId, seconds: module.diagnostic().duration / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 5)
      .map(({ file, seconds: taken }) => `${file} ${taken.toFixed(1)} s`);
    const over = seconds > TEST_TIME_BUDGET_SECONDS;
    const loadPerCore = loadavg()[0]! / availableParallelism();
    const busy = loadPerCore > BUSY_LOAD_PER_CORE;
    const note = over && busy ? ` (on a busy machine: load ${loadPerCore.toFixed(1)} per core, so only a warning)` : '';
    const line = `Test time: ${seconds.toFixed(0)} s of a ${TEST_TIME_BUDGET_SECONDS} s budget${over ? ' — OVER BUDGET' : ''}${note}. Slowest files: ${slowest.join(', ')}`;
    (over ? console.error : console.log)(line);
    if (over && !busy && process.env['CI']) process.exitCode = 1;
  }
}
