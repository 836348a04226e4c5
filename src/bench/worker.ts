/**
 * A worker thread of the parallel benchmark (src/bench/parallel.ts): takes one scenario at a time
 * and answers with its rows, or with the error that stopped it. Built as dist/cli/bench-worker.js.
 */
import { parentPort } from 'node:worker_threads';
import { runScenario } from './index.ts';
import type { ScenarioReply, ScenarioTask } from './parallel.ts';

const port = parentPort!;
port.on('message', ({ scenario, settings }: ScenarioTask) => {
  let reply: ScenarioReply;
  try {
    reply = { rows: runScenario(scenario, settings) };
  } catch (error) {
    // An Error loses its class crossing threads: send its name, so the CLI still maps it to its exit code.
    reply = { error: { name: (error as Error).name, message: (error as Error).message } };
  }
  port.postMessage(reply);
});
