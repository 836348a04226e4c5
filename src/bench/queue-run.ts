/**
 * The benchmark's entry into the queue model (src/sim/queue): an SQS scenario for one seed, run
 * minute by minute at the weights a policy sets, with the baseline before the first shift.
 */
import type { AnalysisSettings, QueueJudgeSetup } from '../core/judge/index.ts';
import { queueBaselineIsThin, summariseQueueBaseline, summariseQueueHistory } from '../core/judge/queue-baseline.ts';
import type { Baseline, QueueMinute, VersionMinute } from '../core/ports.ts';
import { defaultEventStrategy } from '../core/sqs.ts';
import type { Strategy } from '../core/strategy.ts';
import { warmupMinutesFor } from '../sim/scenario.ts';
import { measureBaseline, PLAN_HISTORY_HOURS, planBaselineWindow, queueBaselineLatencyMs } from '../sim/baseline.ts';
import { cloudWatchQueueMinute, queueConfigFromScenario, SimulatedQueue, stableQueueHistory, type QueueAccounting } from '../sim/queue/index.ts';
import type { Scenario } from '../sim/scenario.ts';

/** One minute of an SQS scenario as a benchmark policy sees it. */
export interface QueueBenchMinute {
  stable: VersionMinute;
  candidate: VersionMinute;
  queue: QueueMinute;
}

/** An SQS scenario for one seed and one policy, minute by minute at the weights the policy sets. */
export interface QueueBenchRun {
  /** The stable-only minutes before the first shift, as Plan measures them, with the queue's minutes. */
  readonly baseline: Baseline;
  /** The queue as the judge needs it (`context.queue`). */
  readonly setup: QueueJudgeSetup;
  /** Coalmine's default event strategy for this queue (used when the scenario names none). */
  readonly strategy: Strategy;
  /** The next minute after the first shift (0-based, in order) with the candidate at `weightPercent`. */
  minute(weightPercent: number, options?: { slowThresholdMs?: number }): QueueBenchMinute;
  /** Failed messages of the candidate beyond stable's rate, over the minutes run so far. */
  excessFailures(): number;
  accounting(): QueueAccounting;
  /** An independent copy at this minute: the same calls on both give the same minutes. */
  fork(): QueueBenchRun;
}

/**
 * The queue model for the benchmark (src/bench/run.ts). Each policy gets its own run (the queue's
 * state depends on the weights), and the same seed gives every policy the same arrivals.
 *
 * @example
 * const run = queueBenchRun(scenario, seed, analysisSchema.parse(scenario.analysis ?? {}));
 * const policy = coalminePolicy.start({ ..., baseline: run.baseline, strategy: run.strategy });
 * const minute = run.minute(policy.weight(), { slowThresholdMs: run.baseline.latencyThresholdMs });
 */
export function queueBenchRun(scenario: Scenario, seed: number, analysis: Pick<AnalysisSettings, 'baselineMinutes' | 'latencyPercentile' | 'settleSeconds'>): QueueBenchRun {
  const config = queueConfigFromScenario(scenario, seed);
  const model = new SimulatedQueue(config, seed);
  // The simulated account's timeline: the warm-up, then the first shift; the baseline is Plan's window before it.
  const shiftMinute = warmupMinutesFor(scenario);
  model.advanceTo(shiftMinute * 60);
  const window = planBaselineWindow(shiftMinute, analysis);
  const records = model.minutes().slice(window.from, window.to);
  const measured = measureBaseline(
    records.map((record, i) => ({ stable: model.versionMinute(window.from + i, 'stable'), queue: cloudWatchQueueMinute(record) })),
    {
      latencyMs: () => queueBaselineLatencyMs(records, analysis.latencyPercentile) ?? config.stable.latencyMs.p99,
      medianMs: () => queueBaselineLatencyMs(records, 50),
      queue: true,
    },
  );
  // Plan's day of queue history (src/core/steps/plan.ts), simulated only where the judge would draw on it.
  const queueSummary = summariseQueueBaseline(measured.queue ?? []);
  const queueHistory = queueSummary && queueBaselineIsThin(queueSummary) ? summariseQueueHistory(stableQueueHistory(config, seed, PLAN_HISTORY_HOURS)) : undefined;
  const baseline: Baseline = { ...measured, ...(queueHistory ? { queueHistory } : {}) };
  const setup: QueueJudgeSetup = {
    batchSize: config.batchSize,
    reportBatchItemFailures: config.reportBatchItemFailures,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    batchingWindowSeconds: config.batchingWindowSeconds,
    ...(config.maxReceiveCount === undefined ? {} : { maxReceiveCount: config.maxReceiveCount }),
  };
  const strategy = defaultEventStrategy(setup);
  return benchRunOn(model, shiftMinute, shiftMinute, baseline, setup, strategy);
}

function benchRunOn(model: SimulatedQueue, shiftMinute: number, nextMinute: number, baseline: Baseline, setup: QueueJudgeSetup, strategy: Strategy): QueueBenchRun {
  let next = nextMinute;
  const none: VersionMinute = { invocations: 0, errors: 0, throttles: 0 };
  return {
    baseline,
    setup,
    strategy,
    fork: () => benchRunOn(model.clone(), shiftMinute, next, baseline, setup, strategy),
    minute(weightPercent, minuteOptions = {}) {
      model.setCandidateShare(Math.min(1, Math.max(0, weightPercent / 100)));
      model.advanceTo((next + 1) * 60);
      const index = next++;
      const record = model.minute(index)!;
      return {
        stable: model.versionMinute(index, 'stable', minuteOptions.slowThresholdMs) ?? none,
        candidate: model.versionMinute(index, 'candidate', minuteOptions.slowThresholdMs) ?? none,
        queue: cloudWatchQueueMinute(record),
      };
    },
    excessFailures() {
      let stableFailed = 0;
      let stableMessages = 0;
      let candidateFailed = 0;
      let candidateMessages = 0;
      for (const record of model.minutes()) {
        stableFailed += record.stable.failedMessages;
        stableMessages += record.stable.messages;
        if (record.minute < shiftMinute) continue;
        candidateFailed += record.candidate.failedMessages;
        candidateMessages += record.candidate.messages;
      }
      return Math.max(0, candidateFailed - candidateMessages * (stableMessages > 0 ? stableFailed / stableMessages : 0));
    },
    accounting: () => model.accounting(),
  };
}
