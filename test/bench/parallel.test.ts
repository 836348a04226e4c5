import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors.ts';
import { runBench, type BenchReport } from '../../src/bench/index.ts';
import { runBenchInWorkers } from '../../src/bench/parallel.ts';
import { loadScenario, type Scenario } from '../../src/sim/scenario.ts';

/** The report as JSON, but for the time it took: the part that may differ between two runs. */
const withoutTime = (report: BenchReport) => JSON.stringify({ ...report, elapsedMs: 0, targets: report.targets.filter((t) => !t.target.includes('60 s')) });

describe('runBenchInWorkers', () => {
  // An API scenario with a guarantee row, one without, and an SQS one: every kind of row, in scenario order.
  const options = { scenarios: ['healthy', 'error-10x', 'sqs-timeout-storm'].map((name) => loadScenario(name)), seeds: 3, sqsSeeds: 1, guarantee: true };

  it('gives, on two worker threads, the report runBench gives in this thread, row for row and in order', async () => {
    const inThread = runBench(options);
    const onTwo = await runBenchInWorkers({ ...options, workers: 2 });
    const onOne = await runBenchInWorkers({ ...options, workers: 1 });

    expect(onTwo.results.map((row) => row.scenario)).toEqual(inThread.results.map((row) => row.scenario));
    expect(onTwo.guarantee).toHaveLength(1);
    expect(withoutTime(onTwo)).toBe(withoutTime(inThread));
    expect(withoutTime(onOne)).toBe(withoutTime(inThread));
  });

  it("passes a worker's bad request back as one, so the CLI's exit code is the same", async () => {
    const bad = { ...loadScenario('error-10x'), strategy: 'NoSuchStrategy' } as Scenario;

    await expect(runBenchInWorkers({ scenarios: [loadScenario('error-10x'), bad], seeds: 1, workers: 2 })).rejects.toThrow(InvalidRequestError);
  });
});
