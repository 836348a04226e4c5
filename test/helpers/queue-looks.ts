/**
 * The queue check looked at one minute at a time, as the state machine runs it: the setup, baseline
 * and inputs the queue tests share (test/core/judge/queue*.test.ts).
 */
import { summariseWindow, type CheckResult } from '../../src/core/judge/check.ts';
import { analysisSchema, type JudgeContext, type JudgeInput, type QueueJudgeSetup } from '../../src/core/judge/index.ts';
import { queueTrendCheck } from '../../src/core/judge/queue.ts';
import type { Baseline, MeasurementFailure, MinuteObservation, QueueMinute } from '../../src/core/ports.ts';
import { minuteAt, queueMinute } from './factories.ts';

export const SETUP: QueueJudgeSetup = { batchSize: 10, reportBatchItemFailures: true, visibilityTimeoutSeconds: 30, batchingWindowSeconds: 0, maxReceiveCount: 5 };
export const ALPHA = 0.002;

/** Fifteen quiet baseline minutes: 0.5% of received messages come back. */
export function baseline(minutes: QueueMinute[] = Array.from({ length: 15 }, () => queueMinute())): Baseline {
  return { minutes: minutes.length, invocations: 9000, errors: 0, latencyThresholdMs: 400, queue: minutes };
}

export function at(index: number): string {
  return minuteAt(index, Date.UTC(2026, 0, 5, 9));
}

export function observation(index: number, queue: QueueMinute | null): MinuteObservation {
  return { minute: at(index), stable: { invocations: 500, errors: 0, throttles: 0 }, candidate: { invocations: 50, errors: 0, throttles: 0 }, queue };
}

export function judgeInput(minutes: MinuteObservation[], options: { context?: Partial<JudgeContext>; baseline?: Baseline; failures?: MeasurementFailure[] } = {}): JudgeInput {
  const context: JudgeContext = { trigger: 'sqs', stepIndex: 0, stepCount: 4, weight: 10, isFinalStep: false, minutesInStep: 5, queue: SETUP, ...options.context };
  return { memory: undefined, window: { minutes, failures: options.failures ?? [] }, baseline: options.baseline ?? baseline(), context, settings: analysisSchema.parse({}) };
}

/** Runs the check one look per minute, carrying its memory through JSON as the state machine does. */
export function looks(minutes: (QueueMinute | null)[], options: Parameters<typeof judgeInput>[1] = {}, start = 0): CheckResult[] {
  let memory: unknown;
  return minutes.map((queue, i) => {
    const input = judgeInput([observation(start + i, queue)], options);
    const result = queueTrendCheck.run({ judge: input, window: summariseWindow(input.window.minutes, input.context.weight), look: i + 1, alpha: ALPHA, memory });
    memory = JSON.parse(JSON.stringify(result.memory));
    return result;
  });
}
