/**
 * A vitest reporter that keeps the test run's time in view: after every run it prints how long the
 * run took against its budget, and the slowest files. It warns and never fails: wall time is a
 * measurement, not a test (it depends on the machine and its neighbours), and a red build for a
 * slow machine would teach people to ignore red builds. The line says the load too, so a slow run
 * on a busy machine reads as such.
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
    const note = over && busy ? ` (on a busy machine: load ${loadPerCore.toFixed(1)} per core)` : '';
    const line = `Test time: ${seconds.toFixed(0)} s of a ${TEST_TIME_BUDGET_SECONDS} s budget${over ? ' — OVER BUDGET' : ''}${note}. Slowest files: ${slowest.join(', ')}`;
    (over ? console.error : console.log)(line);
  }
}
