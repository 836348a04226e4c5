/**
 * The benchmark on every core: runBench's scenarios shared out to worker threads (src/bench/worker.ts),
 * each run by the same runScenario as in-process, and merged back in scenario order — so the report
 * is the one runBench gives, but for the elapsed time. `coalmine bench` runs this; the library
 * function stays runBench (synchronous, one thread).
 *
 * @example
 * const report = await runBenchInWorkers({ scenarios: listScenarios(), seeds: 200 });
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InvalidRequestError } from '../core/errors.ts';
import type { Scenario } from '../sim/scenario.ts';
import { assembleReport, planBench, runBench, type BenchOptions, type ScenarioRows, type ScenarioSettings } from './index.ts';
import type { BenchReport } from './report.ts';

/** What the parent sends a worker: one scenario, by value. */
export interface ScenarioTask {
  scenario: Scenario;
  settings: ScenarioSettings;
}

/** What a worker answers: the scenario's rows, or why it could not run it. */
export type ScenarioReply = { rows: ScenarioRows } | { error: { name: string; message: string } };

export interface ParallelBenchOptions extends BenchOptions {
  /** Worker threads (default: one per core); never more than the scenarios. 1 runs runBench in this thread. */
  workers?: number;
}

/** Runs the benchmark with a worker thread per core; the same report as runBench (elapsedMs aside). */
export async function runBenchInWorkers(options: ParallelBenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const plan = planBench(options);
  const count = Math.min(options.workers ?? availableParallelism(), plan.runnable.length);
  if (count <= 1) return runBench(options);

  const { runnable, skipped: _skipped, ...settings } = plan;
  const rows: ScenarioRows[] = new Array(runnable.length);
  const queue = longestFirst(runnable);
  const workers = Array.from({ length: count }, startWorker);
  try {
    // Each worker takes the next scenario as soon as it is free; rows go back to the scenario's place.
    await Promise.all(
      workers.map(async (worker) => {
        for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
          rows[index] = await ask(worker, { scenario: runnable[index]!, settings });
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return assembleReport(plan, rows, Math.round(performance.now() - started));
}

/**
 * The scenarios' indices, the costly ones first, so the cheap ones fill in at the end and no worker
 * sits idle while another finishes a long one. The queue model simulates every message: an SQS
 * scenario costs about ten API ones (≈ 15 s against 1.5 s in the shipped bench).
 */
function longestFirst(scenarios: Scenario[]): number[] {
  const indices = scenarios.map((_, index) => index);
  return [...indices.filter((i) => scenarios[i]!.trigger === 'sqs'), ...indices.filter((i) => scenarios[i]!.trigger !== 'sqs')];
}

/** Sends one scenario to a worker and waits for its rows; rejects when the worker fails or stops. */
function ask(worker: Worker, task: ScenarioTask): Promise<ScenarioRows> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => settle(() => reject(error));
    const onExit = (code: number) => settle(() => reject(new Error(`bench worker stopped (exit code ${code})`)));
    const onMessage = (reply: ScenarioReply) => settle(() => ('rows' in reply ? resolve(reply.rows) : reject(toError(reply.error))));
    const settle = (then: () => void) => {
      worker.off('error', onError).off('exit', onExit).off('message', onMessage);
      then();
    };
    worker.on('error', onError).on('exit', onExit).on('message', onMessage);
    worker.postMessage(task);
  });
}

/** The worker's error as the CLI maps it to an exit code: a bad request stays one. */
function toError({ name, message }: { name: string; message: string }): Error {
  return name === 'InvalidRequestError' ? new InvalidRequestError(message) : new Error(message);
}

/**
 * Built (scripts/build.ts), this module is bundled into a chunk in dist/cli/chunks/ and the worker is
 * its own entry, dist/cli/bench-worker.js. From source (vitest, `tsx src/cli/main.ts`) the worker is
 * worker.ts beside this file, loaded through tsx's loader: Node 20's workers do not take `--import tsx`.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('../bench-worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(worker)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
}
