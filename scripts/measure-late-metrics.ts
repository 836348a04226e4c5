/**
 * Measures the late-metrics re-read on the simulated account, through the real state machine: a
 * function with a 10-minute timeout, 600 requests a minute, 0.5% errors.
 * - healthy: both versions time out on 5% of invocations (the late arrivals must not read as harm);
 * - storm: the candidate times out on 10% of its invocations, stable never.
 * Prints, per case, the outcomes over the seeds and the median minutes to decision.
 *
 *   npx tsx scripts/measure-late-metrics.ts [seeds]
 */
import { runLocal } from '../src/local/runner.ts';
import { createSimAccount } from '../src/sim/account/index.ts';
import { parseScenario } from '../src/sim/scenario.ts';

const base = { minutes: 120, traffic: { requestsPerMinute: 600 }, account: { timeoutSeconds: 600 } };
const CASES = [
  parseScenario({ ...base, name: 'healthy-with-timeouts', stable: { errorRate: 0.005, timeoutRate: 0.05 } }, 'healthy-with-timeouts'),
  parseScenario({ ...base, name: 'timeout-storm', stable: { errorRate: 0.005 }, candidate: { timeoutRate: 0.1 } }, 'timeout-storm'),
];

async function main(): Promise<void> {
  const seeds = Number(process.argv[2] ?? 100);
  for (const scenario of CASES) {
    const outcomes: Record<string, number> = {};
    const minutes: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const result = await runLocal({ scenario, seed, account: createSimAccount(scenario, { seed }) });
      const key = result.rollbackKind ? `${result.outcome} (${result.rollbackKind})` : result.outcome;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (result.minutesToDecision !== null) minutes.push(result.minutesToDecision);
    }
    minutes.sort((a, b) => a - b);
    console.log(`${scenario.name}: ${seeds} seeds: ${JSON.stringify(outcomes)}; median minutes to decision ${minutes[Math.floor(minutes.length / 2)] ?? '–'}`);
  }
}

void main();
