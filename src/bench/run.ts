/**
 * The benchmark's engine: each scenario × seed × policy, minute by minute on traffic from the
 * traffic model, through the same pure pieces the Evaluate step uses (no state machine: too slow for
 * thousands of runs). Minute m of seed s always draws from the random stream keyed (s, m), so every
 * policy meets the same traffic as far as the weights allow.
 *
 * An outcome counts every request the candidate served until the scenario's horizon: a wrong
 * promotion keeps costing after the canary ends.
 */
import { CoalmineError, isBadInputError } from '../core/errors.ts';
import { medianThresholds } from '../core/judge/cost.ts';
import { analysisSchema, type AnalysisSettings } from '../core/judge/index.ts';
import type { Baseline, HourlyTraffic } from '../core/ports.ts';
import type { Ending, JudgedRollbackKind } from '../core/state.ts';
import { DEFAULT_API_STRATEGY, parseStrategy, type Strategy } from '../core/strategy.ts';
import { accountSettings, SIM_START } from '../sim/account/index.ts';
import { warmupMinutesFor } from '../sim/scenario.ts';
import { meanWithTimeouts } from '../sim/account/metrics.ts';
import { apiBaselineLatencyMs, measureBaseline, planBaselineWindow, PLAN_HISTORY_HOURS, planHistoryEnd, type BaselineMinute } from '../sim/baseline.ts';
import { drawColdStarts, drawSlowCount } from '../sim/minute-source.ts';
import { Random } from '../sim/random.ts';
import type { Scenario } from '../sim/scenario.ts';
import { excessFailures, TrafficModel, trueErrorRate } from '../sim/traffic.ts';
import type { Policy, PolicyContext, PolicyRun } from './policy.ts';
import { queueBenchRun, type QueueBenchMinute, type QueueBenchRun } from './queue-run.ts';

/**
 * How one policy's run ended: as a canary ends, undecided when the horizon came first (a policy
 * cannot fail a step), or refused when Plan would have refused the canary (nothing ran).
 */
export type PolicyEnding = Exclude<Ending, 'failed'> | 'undecided' | 'refused';

/** One policy's run of one scenario and seed. */
export interface PolicyResult {
  outcome: PolicyEnding;
  /** With `rolled-back`: `regression` (a verdict that the candidate is worse) or `inconclusive` (no verdict in time); else null. */
  rollbackKind: JudgedRollbackKind | null;
  /** Minutes after the first shift at which the policy decided; null when undecided. */
  minutesToDecision: number | null;
  excessFailures: number;
  candidateRequests: number;
  candidateErrors: number;
  /** Coalmine only: its plan's forecast for this seed. */
  forecast?: { minutesToPromote: number | null; promotionBar: number };
  /** With `refused`: Plan's one line. */
  refusal?: string;
}

/**
 * A policy's run, or Plan's refusal: Coalmine's policy plans as Plan does and throws the same
 * bad-input error (PlanLimitError, InsufficientTrafficError, …) where Plan would refuse the canary.
 */
export function startPolicy(policy: Policy, context: PolicyContext): PolicyRun | { refusal: string } {
  try {
    return policy.start(context);
  } catch (error) {
    if (error instanceof CoalmineError && isBadInputError(error.name)) return { refusal: error.message };
    throw error;
  }
}

/** The result of a canary Plan refused: it served nothing. */
function refused(refusal: string): PolicyResult {
  return { outcome: 'refused', rollbackKind: null, minutesToDecision: null, excessFailures: 0, candidateRequests: 0, candidateErrors: 0, refusal };
}

/** What every policy's run of one scenario and seed shares: the traffic and the baseline before the shift. */
export interface RunSetting {
  scenario: Scenario;
  seed: number;
  settings: AnalysisSettings;
  strategy: Strategy;
  namedStrategy: Strategy | undefined;
  traffic: TrafficModel;
  baseline: Baseline;
  /** The minute of the first shift on the simulated timeline (the simulated account's warm-up). */
  shiftMinute: number;
  /** The alias' hourly traffic over the day before the baseline, as Plan reads it in `run --local`. */
  history: HourlyTraffic[];
  /** When the baseline window starts, on the simulated account's clock (ISO). */
  baselineStart: string;
  truth: PolicyContext['truth'];
  /** Each version's memory size (the scenario's `account.memoryMB`), as Plan reads it. */
  memoryMB: { stable: number; candidate: number };
  /** The concurrency limit Plan reads: the scenario's `account.reservedConcurrency`, else its `unreservedConcurrency`. */
  concurrency: { limit: number; source: 'reserved' | 'account' };
}

/** Each version's true failure rate (errors and time-outs), once the candidate's behaviour has set in. */
function trueRates(scenario: Scenario): PolicyContext['truth'] {
  return { stableErrorRate: trueErrorRate(scenario, 'stable', null), candidateErrorRate: trueErrorRate(scenario, 'candidate', scenario.candidate.fromMinute) };
}

/**
 * The analysis settings and strategy a scenario asks for (defaults as a request would get them):
 * `namedStrategy` when it names one; `strategy` is that or Coalmine's default, which the peers follow.
 */
export function scenarioSetup(scenario: Scenario): { settings: AnalysisSettings; strategy: Strategy; namedStrategy: Strategy | undefined } {
  const settings = analysisSchema.parse(scenario.analysis ?? {});
  const namedStrategy = scenario.strategy === undefined ? undefined : parseStrategy(scenario.strategy as string | { steps: number[]; intervalMinutes: number }, `${scenario.name}: strategy`);
  return { settings, strategy: namedStrategy ?? DEFAULT_API_STRATEGY, namedStrategy };
}

/**
 * Draws the stable-only minutes before the first shift and measures the baseline as Plan does in
 * `run --local`: on the simulated account's timeline (the shift at the end of its warm-up), over
 * Plan's window, by the one baseline measure (src/sim/baseline.ts). The same scenario and seed give
 * the benchmark and the simulated account the same baseline.
 */
export function prepareRun(scenario: Scenario, seed: number, rng: Random = new Random(0)): RunSetting {
  const { settings, strategy, namedStrategy } = scenarioSetup(scenario);
  const traffic = new TrafficModel(scenario, seed);
  const shiftMinute = warmupMinutesFor(scenario);
  const window = planBaselineWindow(shiftMinute, settings);
  const minutes: BaselineMinute[] = [];
  for (let minute = window.from; minute < window.to; minute++) {
    minutes.push({ stable: traffic.minute(rng.reseed(seed, minute), minute, null, 0).stable });
  }
  const baseline = measureBaseline(minutes, {
    latencyMs: (invocations) => apiBaselineLatencyMs(scenario, seed, invocations, settings.latencyPercentile),
    medianMs: (invocations) => apiBaselineLatencyMs(scenario, seed, invocations, 50),
    queue: false,
  });
  const history = planHistory(traffic, seed, shiftMinute, window.from);
  const baselineStart = new Date(Date.parse(SIM_START) + (window.from - shiftMinute) * 60_000).toISOString();
  const truth = trueRates(scenario);
  const { memoryMB, reservedConcurrency, unreservedConcurrency } = accountSettings(scenario);
  const concurrency = reservedConcurrency === undefined ? { limit: unreservedConcurrency, source: 'account' as const } : { limit: reservedConcurrency, source: 'reserved' as const };
  return { scenario, seed, settings, strategy, namedStrategy, traffic, baseline, history, baselineStart, shiftMinute, truth, memoryMB: { stable: memoryMB, candidate: memoryMB }, concurrency };
}

/**
 * The alias' hourly history that Plan reads in `run --local` for the same scenario and seed: the day
 * before the baseline window, drawn from the same stream on the same simulated timeline.
 */
function planHistory(traffic: TrafficModel, seed: number, shiftMinute: number, baselineFrom: number): HourlyTraffic[] {
  const simulationStart = Date.parse(SIM_START) - shiftMinute * 60_000;
  const end = planHistoryEnd(simulationStart, baselineFrom);
  return traffic.planHistory(seed, end, PLAN_HISTORY_HOURS).map((hour, i) => ({ start: new Date(simulationStart + (end - 60 * (PLAN_HISTORY_HOURS - i)) * 60_000).toISOString(), ...hour }));
}

/** Runs one policy on one prepared scenario and seed. */
export function runPolicy(policy: Policy, setting: RunSetting, rng: Random = new Random(0)): PolicyResult {
  const { scenario, seed, traffic, shiftMinute } = setting;
  const run = startPolicy(policy, { scenario, seed, settings: setting.settings, strategy: setting.strategy, namedStrategy: setting.namedStrategy, history: setting.history, baselineStart: setting.baselineStart, baseline: setting.baseline, truth: setting.truth, memoryMB: setting.memoryMB, concurrency: setting.concurrency });
  if ('refusal' in run) return refused(run.refusal);
  const stableRate = trueErrorRate(scenario, 'stable', null);
  const slowThresholdMs = setting.baseline.latencyThresholdMs;
  const medianMs = setting.baseline.medianMs;
  const overMedianMs = medianMs === undefined ? undefined : medianThresholds(medianMs, setting.settings.costTolerance);
  const timeoutMs = accountSettings(scenario).timeoutSeconds * 1000;
  let outcome: PolicyEnding = 'undecided';
  let rollbackKind: JudgedRollbackKind | null = null;
  let decidedAt: number | null = null;
  let candidateRequests = 0;
  let candidateErrors = 0;

  for (let t = 0; t < scenario.minutes; t++) {
    const minute = shiftMinute + t;
    rng.reseed(seed, minute);
    if (outcome === 'promoted') {
      // After promotion the candidate serves everything; only its requests and errors matter now.
      const requests = rng.poisson(traffic.requestsPerMinute(minute));
      const invocations = requests - rng.binomial(requests, scenario.candidate.throttleRate);
      candidateRequests += invocations;
      candidateErrors += rng.binomial(invocations, trueErrorRate(scenario, 'candidate', t));
      continue;
    }
    // Drawn as the simulated account draws the minute and its slow counts, so `run --local` sees the same traffic.
    const drawn = traffic.minute(rng, minute, t, run.weight());
    if (slowThresholdMs !== undefined) {
      for (const side of ['stable', 'candidate'] as const) {
        drawn[side].slow = drawSlowCount(seed, minute, side, slowThresholdMs, drawn[side].invocations, traffic.expectedSlowFraction(side, t, slowThresholdMs));
      }
    }
    if (overMedianMs !== undefined) {
      // As the simulated account's metrics port reports them: counts over each side's threshold, and the mean duration.
      for (const side of ['stable', 'candidate'] as const) {
        const thresholdMs = overMedianMs[side];
        const timedOut = drawn[side].timedOut ?? 0;
        drawn[side].overMedian = timedOut + drawSlowCount(seed, minute, side, thresholdMs, drawn[side].invocations - timedOut, traffic.expectedSlowFraction(side, t, thresholdMs));
        if (drawn[side].invocations > 0) drawn[side].averageMs = meanWithTimeouts(traffic.meanDurationMs(side, t), drawn[side].invocations, timedOut, timeoutMs);
      }
    }
    // Cold starts as the simulated account's Logs Insights reports them (only Coalmine reads them: see the policies).
    for (const side of ['stable', 'candidate'] as const) Object.assign(drawn[side], drawColdStarts(seed, minute, side, drawn[side].invocations, traffic.coldStarts(side, t)));
    candidateRequests += drawn.candidate.invocations;
    candidateErrors += drawn.candidate.errors;
    const action = run.observe({ minute: t, stable: drawn.stable, candidate: drawn.candidate });
    if (action === 'continue') continue;
    decidedAt = t + 1;
    if (action !== 'promote') {
      outcome = 'rolled-back';
      rollbackKind = action === 'rollback-inconclusive' ? 'inconclusive' : 'regression';
      break;
    }
    outcome = 'promoted';
  }
  return {
    outcome,
    rollbackKind,
    minutesToDecision: decidedAt,
    excessFailures: excessFailures(candidateErrors, candidateRequests, stableRate),
    candidateRequests,
    candidateErrors,
    ...(run.forecast ? { forecast: run.forecast } : {}),
  };
}

/**
 * Runs policies on one SQS scenario and seed through the queue model (src/sim/queue). Each
 * policy meets its own queue (the queue's state depends on the weights it set) with the same
 * arrivals as every other policy. Every policy sees each version's Lambda metrics as CloudWatch
 * reports them — one invocation per batch, a partial batch failure is no error — and Coalmine also
 * sees the queue's minutes. Excess failures are failed message attempts on the candidate beyond
 * stable's rate, to the horizon (after a promotion the candidate takes every batch; after a
 * rollback none, so the run stops there).
 *
 * Policies that have set the same weights so far share one simulated queue, which forks where
 * their weights part: the same outcomes as one queue per policy, without simulating a shared past
 * (the baseline, the first steps, the time after the same promotion) more than once.
 */
export function runQueuePolicies(policies: readonly Policy[], scenario: Scenario, seed: number): PolicyResult[] {
  const { settings, namedStrategy } = scenarioSetup(scenario);
  const root = queueBenchRun(scenario, seed, settings);
  // The peers follow the named strategy, else Coalmine's default for the queue; Coalmine plans its own.
  const strategy = namedStrategy ?? root.strategy;
  const truth = trueRates(scenario);
  const slowThresholdMs = root.baseline.latencyThresholdMs;
  const options = slowThresholdMs === undefined ? {} : { slowThresholdMs };

  interface Runner {
    run: PolicyRun;
    outcome: PolicyEnding;
    rollbackKind: JudgedRollbackKind | null;
    decidedAt: number | null;
    candidateRequests: number;
    candidateErrors: number;
    queue: QueueBenchRun;
  }
  const starts = policies.map((policy) => startPolicy(policy, { scenario, seed, settings, strategy, namedStrategy, history: [], baseline: root.baseline, truth, queue: root.setup }));
  const runners: Runner[] = starts.flatMap((run) =>
    'refusal' in run ? [] : [{ run, outcome: 'undecided' as PolicyEnding, rollbackKind: null, decidedAt: null, candidateRequests: 0, candidateErrors: 0, queue: root }],
  );
  const outcomes = new Map<Runner, PolicyResult>();
  const finish = (runner: Runner) => outcomes.set(runner, {
    outcome: runner.outcome,
    rollbackKind: runner.rollbackKind,
    minutesToDecision: runner.decidedAt,
    excessFailures: runner.queue.excessFailures(),
    candidateRequests: runner.candidateRequests,
    candidateErrors: runner.candidateErrors,
  });

  for (let t = 0; t < scenario.minutes; t++) {
    const active = runners.filter((runner) => !outcomes.has(runner));
    if (active.length === 0) break;
    // Group the runners by their queue, then by the weight each sets now: one minute per distinct (queue, weight).
    const byQueue = new Map<QueueBenchRun, Map<number, Runner[]>>();
    for (const runner of active) {
      const weight = runner.outcome === 'promoted' ? 100 : runner.run.weight();
      const byWeight = byQueue.get(runner.queue) ?? new Map<number, Runner[]>();
      byQueue.set(runner.queue, byWeight);
      byWeight.set(weight, [...(byWeight.get(weight) ?? []), runner]);
    }
    for (const [queue, byWeight] of byQueue) {
      let first = true;
      for (const [weight, group] of byWeight) {
        const own = first ? queue : queue.fork();
        first = false;
        // Fork before this queue moves on: every group starts from the same minute.
        const minute = own === queue ? undefined : own.minute(weight, options);
        for (const runner of group) runner.queue = own;
        if (minute) observe(group, minute, t);
      }
      const shared = byWeight.entries().next().value!;
      observe(shared[1], queue.minute(shared[0], options), t);
    }
    for (const runner of active) if (runner.outcome === 'rolled-back') finish(runner);
  }
  for (const runner of runners) if (!outcomes.has(runner)) finish(runner);
  const ran = runners.map((runner) => outcomes.get(runner)!);
  return starts.map((run) => ('refusal' in run ? refused(run.refusal) : ran.shift()!));

  function observe(group: Runner[], minute: QueueBenchMinute, t: number): void {
    for (const runner of group) {
      runner.candidateRequests += minute.candidate.invocations;
      runner.candidateErrors += minute.candidate.errors;
      if (runner.outcome === 'promoted') continue;
      const action = runner.run.observe({ minute: t, stable: minute.stable, candidate: minute.candidate, queue: minute.queue });
      if (action === 'continue') continue;
      runner.decidedAt = t + 1;
      runner.outcome = action === 'promote' ? 'promoted' : 'rolled-back';
      if (action !== 'promote') runner.rollbackKind = action === 'rollback-inconclusive' ? 'inconclusive' : 'regression';
    }
  }
}

/** One policy on one SQS scenario and seed (see runQueuePolicies). */
export function runQueuePolicy(policy: Policy, scenario: Scenario, seed: number): PolicyResult {
  return runQueuePolicies([policy], scenario, seed)[0]!;
}
