/**
 * A vitest reporter that keeps the test run inside its time budget: after every run it prints how
 * long the run took against the budget, and the slowest files; in CI (CI set), a run over budget
 * fails. On a developer's machine shared with other work it only warns, since the same run can
 * take twice as long there.
 *
 * The budget covers vitest; `npm test` adds the type check (tsc) before it.
 */
import type { Reporter, TestModule } from 'vitest/node';

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
    const line = `Test time: ${seconds.toFixed(0)} s of a ${TEST_TIME_BUDGET_SECONDS} s budget${over ? ' — OVER BUDGET' : ''}. Slowest files: ${slowest.join(', ')}`;
    (over ? console.error : console.log)(line);
    if (over && process.env['CI']) process.exitCode = 1;
  }
}
