/**
 * The benchmark's engine: each scenario × seed × policy, minute by minute on traffic from the
 * traffic model, through the same pure pieces the Evaluate step uses (no state machine: too slow for
 * thousands of runs). Minute m of seed s always draws from the random stream keyed (s, m), so every
 * policy meets the same traffic as far as the weights allow.
 *
 * An outcome counts every request the candidate served until the scenario's horizon: a wrong
 * promotion keeps costing after the canary ends.
 */
import { analysisSchema, type AnalysisSettings } from '../core/judge/settings.ts';
import type { Baseline } from '../core/ports.ts';
import { DEFAULT_API_STRATEGY, parseStrategy, type Strategy } from '../core/strategy.ts';
import { queueBenchRun } from '../sim/queue.ts';
import { Random } from '../sim/random.ts';
import type { Scenario } from '../sim/scenario.ts';
import { excessFailures, latencyLaw, samplePercentile, TrafficModel, trueErrorRate } from '../sim/traffic.ts';
import type { Policy, PolicyContext } from './policy.ts';

export type RunResult = 'promoted' | 'rolledBack' | 'undecided';

export interface RunOutcome {
  result: RunResult;
  /** Minutes after the first shift at which the policy decided; null when undecided. */
  minutesToDecision: number | null;
  excessFailures: number;
  candidateRequests: number;
  candidateErrors: number;
}

/** What every policy's run of one scenario and seed shares: the traffic and the baseline before the shift. */
export interface RunSetting {
  scenario: Scenario;
  seed: number;
  settings: AnalysisSettings;
  strategy: Strategy;
  traffic: TrafficModel;
  baseline: Baseline;
  baselineMinutes: number;
  truth: PolicyContext['truth'];
}

/** The analysis settings and strategy a scenario asks for (defaults as a request would get them). */
export function scenarioSetup(scenario: Scenario): { settings: AnalysisSettings; strategy: Strategy } {
  const settings = analysisSchema.parse(scenario.analysis ?? {});
  const strategy = scenario.strategy === undefined ? DEFAULT_API_STRATEGY : parseStrategy(scenario.strategy as string | { steps: number[]; intervalMinutes: number }, `${scenario.name}: strategy`);
  return { settings, strategy };
}

/** Draws the stable-only minutes before the first shift and measures the baseline as Plan would. */
export function prepareRun(scenario: Scenario, seed: number, rng: Random = new Random(0)): RunSetting {
  const { settings, strategy } = scenarioSetup(scenario);
  const traffic = new TrafficModel(scenario, seed);
  const baselineMinutes = settings.baselineMinutes;
  let invocations = 0;
  let errors = 0;
  for (let minute = 0; minute < baselineMinutes; minute++) {
    const drawn = traffic.minute(rng.reseed(seed, minute), minute, null, 0);
    invocations += drawn.stable.invocations;
    errors += drawn.stable.errors;
  }
  const baseline: Baseline = { minutes: baselineMinutes, invocations, errors };
  if (invocations > 0) {
    baseline.latencyThresholdMs = samplePercentile(rng.reseed(seed, -1), latencyLaw(scenario.stable.latencyMs), invocations, settings.latencyPercentile);
  }
  const truth = { stableErrorRate: scenario.stable.errorRate, candidateErrorRate: scenario.candidate.errorRate };
  return { scenario, seed, settings, strategy, traffic, baseline, baselineMinutes, truth };
}

/** Runs one policy on one prepared scenario and seed. */
export function runPolicy(policy: Policy, setting: RunSetting, rng: Random = new Random(0)): RunOutcome {
  const { scenario, seed, traffic, baselineMinutes } = setting;
  const run = policy.start({ scenario, seed, settings: setting.settings, strategy: setting.strategy, baseline: setting.baseline, truth: setting.truth });
  const stableRate = scenario.stable.errorRate;
  const slowThresholdMs = setting.baseline.latencyThresholdMs;
  const options = slowThresholdMs === undefined ? {} : { slowThresholdMs };
  let result: RunResult = 'undecided';
  let decidedAt: number | null = null;
  let candidateRequests = 0;
  let candidateErrors = 0;

  for (let t = 0; t < scenario.minutes; t++) {
    const minute = baselineMinutes + t;
    rng.reseed(seed, minute);
    if (result === 'promoted') {
      // After promotion the candidate serves everything; only its requests and errors matter now.
      const requests = rng.poisson(traffic.requestsPerMinute(minute));
      const invocations = requests - rng.binomial(requests, scenario.candidate.throttleRate);
      candidateRequests += invocations;
      candidateErrors += rng.binomial(invocations, trueErrorRate(scenario, 'candidate', t));
      continue;
    }
    const drawn = traffic.minute(rng, minute, t, run.weight(), options);
    candidateRequests += drawn.candidate.invocations;
    candidateErrors += drawn.candidate.errors;
    const action = run.observe({ minute: t, stable: drawn.stable, candidate: drawn.candidate });
    if (action === 'continue') continue;
    decidedAt = t + 1;
    if (action === 'rollback') {
      result = 'rolledBack';
      break;
    }
    result = 'promoted';
  }
  return {
    result,
    minutesToDecision: decidedAt,
    excessFailures: excessFailures(candidateErrors, candidateRequests, stableRate),
    candidateRequests,
    candidateErrors,
  };
}

/**
 * Runs one policy on one SQS scenario and seed through the queue model (src/sim/queue.ts): each
 * policy gets its own queue (its state depends on the weights), with the same arrivals for every
 * policy. Every policy sees each version's Lambda metrics as CloudWatch reports them — one
 * invocation per batch, a partial batch failure is no error — and Coalmine also sees the queue's.
 * Excess failures are failed message attempts on the candidate beyond stable's rate, to the horizon
 * (after a promotion the candidate takes every batch; after a rollback none, so the run stops).
 */
export function runQueuePolicy(policy: Policy, scenario: Scenario, seed: number): RunOutcome {
  const { settings } = scenarioSetup(scenario);
  const run = queueBenchRun(scenario, seed, { baselineMinutes: settings.baselineMinutes, latencyPercentile: settings.latencyPercentile });
  const strategy = scenario.strategy === undefined ? run.strategy : scenarioSetup(scenario).strategy;
  const truth = { stableErrorRate: scenario.stable.errorRate, candidateErrorRate: scenario.candidate.errorRate };
  const active = policy.start({ scenario, seed, settings, strategy, baseline: run.baseline, truth, queue: run.setup });
  const slowThresholdMs = run.baseline.latencyThresholdMs;
  const options = slowThresholdMs === undefined ? {} : { slowThresholdMs };
  let result: RunResult = 'undecided';
  let decidedAt: number | null = null;
  let candidateRequests = 0;
  let candidateErrors = 0;
  for (let t = 0; t < scenario.minutes; t++) {
    const minute = run.minute(result === 'promoted' ? 100 : active.weight(), options);
    candidateRequests += minute.candidate.invocations;
    candidateErrors += minute.candidate.errors;
    if (result === 'promoted') continue;
    const action = active.observe({ minute: t, stable: minute.stable, candidate: minute.candidate, queue: minute.queue });
    if (action === 'continue') continue;
    decidedAt = t + 1;
    if (action === 'rollback') {
      result = 'rolledBack';
      break;
    }
    result = 'promoted';
  }
  return { result, minutesToDecision: decidedAt, excessFailures: run.excessFailures(), candidateRequests, candidateErrors };
}
