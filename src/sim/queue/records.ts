/**
 * What the queue model records: each ended minute's queue-wide figures and per-version invocations,
 * and where every message of the run is.
 */
import type { QueueMinute } from '../../core/ports.ts';

/** One version's invocations in one minute. */
export interface QueueVersionRecord {
  /** Invocations (batches) that ended in the minute. */
  invocations: number;
  /** Of those, invocations that threw or timed out (partial batch responses are not errors). */
  errors: number;
  /** Messages delivered in those invocations. */
  messages: number;
  /** Of those, messages this version failed to process (thrown, timed out or reported as failed items). */
  failedMessages: number;
  /** Duration of each of those invocations, ms. */
  durationsMs: number[];
}

/** One simulated minute: queue-wide figures and each version's invocations. */
export interface QueueMinuteRecord {
  minute: number;
  queue: QueueMinute & { inFlight: number };
  stable: QueueVersionRecord;
  candidate: QueueVersionRecord;
  /** Candidate's share of invocations when the minute ended (0..1). */
  candidateShare: number;
}

/**
 * Where every message of the run is. `lost` = sent − succeeded − inQueue − deadLettered, and must
 * be 0. Messages that were in the DLQ before the run are not counted here (see `dlqDepth`).
 */
export interface QueueAccounting {
  sent: number;
  succeeded: number;
  /** Messages of this run now in the DLQ. */
  deadLettered: number;
  /** Messages moved back from the DLQ to the source queue. */
  redriven: number;
  /** Visible or in flight in the source queue. */
  inQueue: number;
  lost: number;
}

/** Where one message is: exactly one of these at every moment. */
export const MESSAGE_STATES = ['visible', 'inFlight', 'succeeded', 'deadLettered'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

export function emptyVersionRecord(): QueueVersionRecord {
  return { invocations: 0, errors: 0, messages: 0, failedMessages: 0, durationsMs: [] };
}

export function emptyMinuteRecord(minute: number): QueueMinuteRecord {
  return {
    minute,
    queue: { sent: 0, received: 0, deleted: 0, visible: 0, inFlight: 0, ageOfOldestSeconds: 0, dlqVisible: 0 },
    stable: emptyVersionRecord(),
    candidate: emptyVersionRecord(),
    candidateShare: 0,
  };
}

/** A simulated minute's queue figures as the metrics port reports them (in flight = NotVisible). */
export function cloudWatchQueueMinute(record: QueueMinuteRecord): QueueMinute {
  const { inFlight, ...figures } = record.queue;
  return { ...figures, notVisible: inFlight };
}
