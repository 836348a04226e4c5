/**
 * A simulated SQS queue feeding a Lambda alias through an event source mapping: what the local
 * runner and the benchmark use for `trigger: "sqs"` scenarios. Seeded and event-driven: messages
 * arrive at random times inside each minute, pollers take batches, each batch invokes the alias and
 * lands on one version, and visibility timeouts, receive counts, the DLQ and redrive follow SQS's
 * rules. The same config, seed and sequence of calls give the same run every time.
 *
 * The model, and where it simplifies AWS:
 * - Arrivals: Poisson(messagesPerMinute(m)) messages in minute m, at uniform times in the minute.
 * - Pollers: like Lambda's SQS poller, five concurrent batches to start, 60 more each minute that
 *   ends with messages still visible, 60 fewer (not below five) each minute that ends with none,
 *   never above `maxConcurrency` (the mapping's MaximumConcurrency or reserved concurrency). An idle
 *   poller takes up to `batchSize` visible messages at once, or, with a batching window, waits until
 *   the oldest visible message has waited that long or a full batch is there.
 * - Routing: the alias' weight applies per invocation, so each *batch* goes to the candidate with
 *   probability `candidateShare`; every message in it is processed by that version.
 * - Processing: per message, a log-normal time (latencyMs median/p99, divided by
 *   `throughputFactor`), processed one after another, plus a per-invocation overhead. A message
 *   fails on an attempt with probability `errorRate`, and always when it is poison for the version
 *   (`poisonRate`: a fixed share of messages, the same messages every time). A batch that runs past
 *   the function timeout times out; so does a candidate batch started while more than
 *   `timeoutAboveConcurrency` invocations are already running (a pool sized too small for the load).
 * - Outcome: a timeout or (without ReportBatchItemFailures) any failed message makes the invocation
 *   an error and returns the whole batch; with ReportBatchItemFailures the failed messages alone
 *   return and the invocation is not an error (as in CloudWatch's Errors). Returned messages stay
 *   invisible until their visibility timeout ends; deleted ones are gone.
 * - Visibility: each receive hides a message for `visibilityTimeoutSeconds`; if the batch is still
 *   running then, the message can be received again (a duplicate), and the late delete of the old
 *   receipt no longer applies.
 * - DLQ: a message already received `maxReceiveCount` times moves to the DLQ when a poller next
 *   receives it (SQS moves it at that receive). Without a DLQ, messages are retried for ever (the
 *   retention period, days, is beyond any canary).
 * - Redrive: messages that reached the DLQ at or after a time go back to the source queue as new
 *   messages (receive count 0); the DLQ's older messages stay where they are. As on AWS (see
 *   src/aws/sqs.ts), a message counts as arrived since then when its first receive was.
 * - Metrics per minute, CloudWatch-style: per version invocations (one per batch), errors,
 *   durations; queue-wide sent, received, deleted, visible and the age of the oldest message at the
 *   minute's end — ignoring messages received three or more times, as SQS does — and DLQ depth.
 *   Invocations and deletes count in the minute the invocation ends.
 *
 * @example
 * const queue = new SimulatedQueue(queueConfigFromScenario(scenario), seed);
 * queue.advanceTo(15 * 60);          // baseline: all on stable
 * queue.setCandidateShare(0.05);     // the alias sends 5% of invocations (batches) to the candidate
 * queue.advanceTo(30 * 60);
 * queue.minute(20)?.queue.received;  // messages received in minute 20
 * queue.accounting().lost;           // 0
 */
import type { QueueJudgeSetup } from '../core/judge/queue.ts';
import type { Baseline, QueueInspector, QueueMinute, QueueSource, VersionMinute } from '../core/ports.ts';
import { defaultEventStrategy } from '../core/sqs.ts';
import type { Strategy } from '../core/strategy.ts';
import type { MinuteContext, MinuteSource, MinuteSourceContext, SourceMinute } from './account.ts';
import { mixSeed, normalQuantile, Random } from './random.ts';
import type { Scenario } from './scenario.ts';
import { TrafficModel } from './traffic.ts';

/** How one version processes messages. */
export interface QueueVersionBehaviour {
  /** Chance that one attempt at one message fails (transiently: a retry may succeed). */
  errorRate: number;
  /** Processing time of one message, log-normal with this median and 99th percentile. */
  latencyMs: { median: number; p99: number };
  /** Share of messages this version fails on every attempt (poison for this version). */
  poisonRate: number;
  /** Processing speed relative to `latencyMs`: 0.25 means four times slower. */
  throughputFactor: number;
  /** Invocations started while more than this many are running time out. Absent: never. */
  timeoutAboveConcurrency?: number;
}

export interface QueueConfig {
  /** Mean messages sent in an absolute minute (the Poisson mean). */
  messagesPerMinute: (minute: number) => number;
  batchSize: number;
  batchingWindowSeconds: number;
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the DLQ; absent means there is no DLQ. */
  maxReceiveCount?: number;
  reportBatchItemFailures: boolean;
  functionTimeoutSeconds: number;
  /** Most batches in flight at once (the mapping's MaximumConcurrency, or reserved concurrency). */
  maxConcurrency: number;
  /** Fixed cost of one invocation, in ms. */
  invocationOverheadMs: number;
  /** Messages already in the DLQ before the simulation starts: older failures that must stay there. */
  dlqDepthAtStart: number;
  stable: QueueVersionBehaviour;
  candidate: QueueVersionBehaviour;
  /** Seconds after the first shift at which the candidate starts behaving as `candidate` (before: as stable). */
  candidateFromSeconds: number;
}

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

const VISIBLE = 0;
const IN_FLIGHT = 1;
const SUCCEEDED = 2;
const DEAD_LETTERED = 3;

const EVENT_COMPLETE = 0;
const EVENT_EXPIRE = 1;
const EVENT_WINDOW = 2;

/** Lambda's SQS poller starts with five concurrent batches and adds up to 60 a minute. */
const INITIAL_POLLERS = 5;
const POLLER_STEP_PER_MINUTE = 60;
/** SQS's ApproximateAgeOfOldestMessage skips messages received this many times or more. */
const AGE_IGNORES_RECEIVE_COUNT = 3;

const Z99 = normalQuantile(0.99);

/** A batch in flight; slots are reused (a run starts hundreds of thousands of batches). */
interface Batch {
  candidate: boolean;
  /** Messages in the batch: the first `size` entries of the arrays below. */
  size: number;
  ids: Int32Array;
  /** Receive count of each message when this batch received it: its receipt handle, in effect. */
  receipts: Int32Array;
  /** Per message: 1 when this batch deletes it. */
  deletes: Uint8Array;
  error: boolean;
  durationMs: number;
}

/** A seeded, event-driven SQS queue + Lambda event source mapping + DLQ. */
export class SimulatedQueue {
  readonly config: QueueConfig;
  private readonly seed: number;
  private readonly random: Random;
  private readonly arrivalRandom = new Random(0);

  /** Simulated time, seconds from the start. */
  private now = 0;
  private currentMinute = 0;
  private candidateShare = 0;
  private firstShiftAt: number | undefined;

  // Messages, by id: typed arrays grown by doubling (tens of thousands of messages per run).
  private messageCount = 0;
  private state = new Uint8Array(1024);
  private receiveCount = new Int32Array(1024);
  private sentAt = new Float64Array(1024);
  private visibleSince = new Float64Array(1024);
  /** When the message was first received (Infinity before): SQS's ApproximateFirstReceiveTimestamp. */
  private firstReceivedAt = new Float64Array(1024);
  /** Uniform key fixed at send: a message is poison for a version when its key < the version's poisonRate. */
  private poisonKey = new Float64Array(1024);
  /**
   * Ids of messages that may still be in the source queue, in the order they were sent (so by
   * `sentAt`: a redriven message is sent anew); `aliveHead` skips the finished ones in front, and
   * the list is compacted when finished ones make up most of it.
   */
  private alive: number[] = [];
  private aliveHead = 0;

  /** Visible messages in (roughly) arrival order; entries whose message is no longer visible are skipped. */
  private visibleQueue: number[] = [];
  private visibleHead = 0;
  private visibleCount = 0;
  private inFlightCount = 0;
  /** The DLQ: message id and when it arrived there. */
  private deadLetters: { id: number; at: number }[] = [];

  private sentTotal = 0;
  private succeededTotal = 0;
  private redrivenTotal = 0;

  private arrivals = new Float64Array(0);
  private arrivalIndex = 0;

  private pollerLimit: number;
  private busy = 0;
  /** Batch slots by id (an event's `a`); ids of free slots wait in `freeBatches`. */
  private readonly batches: Batch[] = [];
  private readonly freeBatches: number[] = [];
  private windowTimerAt = Infinity;

  private readonly events = new EventHeap();
  private readonly records: QueueMinuteRecord[] = [];
  private open: QueueMinuteRecord;

  constructor(config: QueueConfig, seed: number) {
    validate(config);
    this.config = config;
    this.seed = seed;
    this.random = new Random(mixSeed(seed, 0x717565));
    this.pollerLimit = Math.min(INITIAL_POLLERS, config.maxConcurrency);
    this.open = emptyRecord(0);
    this.startMinute(0);
  }

  /**
   * An independent copy at this moment: the same calls on the copy and on the original give the
   * same runs. The benchmark forks a queue where two policies' weights part, instead of simulating
   * their shared past twice.
   */
  clone(): SimulatedQueue {
    // Built by the constructor, then overwritten: the copy keeps the original's object shape, so
    // the simulation's hot paths stay as fast on forks.
    const copy = new SimulatedQueue(this.config, this.seed);
    Object.assign(copy, this);
    const mutable = copy as unknown as Record<string, unknown>;
    mutable.random = cloneRandom(this.random);
    mutable.arrivalRandom = cloneRandom(this.arrivalRandom);
    mutable.state = this.state.slice();
    mutable.receiveCount = this.receiveCount.slice();
    mutable.sentAt = this.sentAt.slice();
    mutable.visibleSince = this.visibleSince.slice();
    mutable.firstReceivedAt = this.firstReceivedAt.slice();
    mutable.poisonKey = this.poisonKey.slice();
    mutable.alive = this.alive.slice();
    mutable.visibleQueue = this.visibleQueue.slice();
    // Dead letters and ended minutes are never changed in place, only replaced or appended.
    mutable.deadLetters = this.deadLetters.slice();
    mutable.records = this.records.slice();
    mutable.batches = this.batches.map((batch) => ({ candidate: batch.candidate, size: batch.size, ids: batch.ids.slice(), receipts: batch.receipts.slice(), deletes: batch.deletes.slice(), error: batch.error, durationMs: batch.durationMs }));
    mutable.freeBatches = this.freeBatches.slice();
    mutable.events = this.events.clone();
    const open = emptyRecord(this.open.minute);
    Object.assign(open.queue, this.open.queue);
    Object.assign(open.stable, this.open.stable, { durationsMs: this.open.stable.durationsMs.slice() });
    Object.assign(open.candidate, this.open.candidate, { durationsMs: this.open.candidate.durationsMs.slice() });
    open.candidateShare = this.open.candidateShare;
    mutable.open = open;
    return copy;
  }

  /** Seconds since the start of the simulation. */
  get time(): number {
    return this.now;
  }

  /**
   * Sets the candidate's share of invocations (0..1) from now on: the alias' weight. The first
   * share above 0 marks the first shift (the candidate's `fromMinute` counts from it).
   */
  setCandidateShare(share: number): void {
    if (!(share >= 0 && share <= 1)) throw new RangeError(`candidate share must be in [0, 1], got ${share}`);
    this.candidateShare = share;
    if (share > 0 && this.firstShiftAt === undefined) this.firstShiftAt = this.now;
  }

  /** Runs the queue until `seconds` (every event at or before it). Time never goes back. */
  advanceTo(seconds: number): void {
    if (!(seconds >= this.now)) throw new RangeError(`cannot go back in time from ${this.now} s to ${seconds} s`);
    for (;;) {
      const nextArrival = this.arrivalIndex < this.arrivals.length ? this.arrivals[this.arrivalIndex]! : Infinity;
      const nextEvent = this.events.peekTime();
      const nextMinute = (this.currentMinute + 1) * 60;
      const next = Math.min(nextArrival, nextEvent, nextMinute);
      if (next > seconds) break;
      this.now = next;
      if (next === nextMinute && nextMinute <= nextArrival && nextMinute <= nextEvent) {
        this.endMinute();
        this.startMinute(this.currentMinute + 1);
      } else if (next === nextArrival && nextArrival <= nextEvent) {
        this.arrivalIndex++;
        this.send();
      } else {
        this.handleEvent();
      }
      this.dispatch();
    }
    this.now = seconds;
  }

  /** The figures of a minute that has ended; undefined for a minute not yet over. */
  minute(index: number): QueueMinuteRecord | undefined {
    return this.records[index];
  }

  /** Every ended minute, oldest first. */
  minutes(): readonly QueueMinuteRecord[] {
    return this.records;
  }

  /**
   * One version's minute as CloudWatch reports it: invocations, errors, the nearest-rank p99 of
   * durations and, with a threshold, how many invocations were slower. Null when the version had no
   * invocations (CloudWatch has no datapoint).
   */
  versionMinute(index: number, version: 'stable' | 'candidate', slowThresholdMs?: number): VersionMinute | null {
    const record = this.records[index]?.[version];
    if (!record || record.invocations === 0) return null;
    const sorted = Float64Array.from(record.durationsMs).sort();
    const result: VersionMinute = {
      invocations: record.invocations,
      errors: record.errors,
      throttles: 0,
      p99Ms: sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)]!,
    };
    if (slowThresholdMs !== undefined) {
      let slow = 0;
      for (let i = sorted.length - 1; i >= 0 && sorted[i]! > slowThresholdMs; i--) slow++;
      result.slow = slow;
    }
    return result;
  }

  /** Messages visible in the source queue now (ApproximateNumberOfMessages). */
  visibleDepth(): number {
    return this.visibleCount;
  }

  /** Messages in the DLQ now, including those that were there before the run. */
  dlqDepth(): number {
    return this.config.dlqDepthAtStart + this.deadLetters.length;
  }

  /**
   * Moves the messages that reached the DLQ at or after `sinceSeconds` back to the source queue,
   * as new messages; returns how many. Older DLQ messages stay. As the AWS adapter (src/aws/sqs.ts)
   * must, it proves "reached the DLQ since" by the first receive being at or after `sinceSeconds`
   * (SQS keeps no time of the move), so a message first received before that stays in the DLQ.
   */
  redrive(sinceSeconds: number): number {
    // Drop finished messages from `alive` first: a redriven message must appear there once, at the end.
    this.alive = this.alive.slice(this.aliveHead).filter((id) => this.state[id]! < SUCCEEDED);
    this.aliveHead = 0;
    const keep: { id: number; at: number }[] = [];
    let moved = 0;
    for (const letter of this.deadLetters) {
      if (this.firstReceivedAt[letter.id]! < sinceSeconds) {
        keep.push(letter);
        continue;
      }
      const id = letter.id;
      this.state[id] = VISIBLE;
      this.receiveCount[id] = 0;
      this.sentAt[id] = this.now;
      this.firstReceivedAt[id] = Infinity;
      this.makeVisible(id);
      this.alive.push(id);
      moved++;
    }
    this.deadLetters = keep;
    this.redrivenTotal += moved;
    this.dispatch();
    return moved;
  }

  /** Where every message of the run is, from the running counters. */
  accounting(): QueueAccounting {
    const deadLettered = this.deadLetters.length;
    const inQueue = this.visibleCount + this.inFlightCount;
    return {
      sent: this.sentTotal,
      succeeded: this.succeededTotal,
      deadLettered,
      redriven: this.redrivenTotal,
      inQueue,
      lost: this.sentTotal - this.succeededTotal - inQueue - deadLettered,
    };
  }

  /**
   * Counts messages by the state each one is in, by looking at every message (not the counters):
   * for tests of the invariant that each message is in exactly one state.
   */
  census(): Record<MessageState, number> & { messages: number } {
    const counts = { visible: 0, inFlight: 0, succeeded: 0, deadLettered: 0, messages: this.messageCount };
    for (let id = 0; id < this.messageCount; id++) counts[MESSAGE_STATES[this.state[id]!]!]++;
    return counts;
  }

  /** Ids of the messages visible now, from the visible queue (each must appear once). */
  visibleIds(): number[] {
    return this.visibleQueue.slice(this.visibleHead).filter((id) => this.state[id] === VISIBLE);
  }

  /** Ids of the messages in the DLQ now. */
  deadLetterIds(): number[] {
    return this.deadLetters.map((letter) => letter.id);
  }

  // --- the simulation -------------------------------------------------------------------------

  private startMinute(minute: number): void {
    this.currentMinute = minute;
    this.open = emptyRecord(minute);
    // Arrivals come from a stream of their own per minute, so they do not depend on routing.
    const rng = this.arrivalRandom.reseed(this.seed, minute, 0x61727276);
    const count = rng.poisson(Math.max(0, this.config.messagesPerMinute(minute)));
    const times = new Float64Array(count);
    for (let i = 0; i < count; i++) times[i] = minute * 60 + 60 * rng.uniform();
    times.sort();
    this.arrivals = times;
    this.arrivalIndex = 0;
  }

  private endMinute(): void {
    const record = this.open;
    record.queue.visible = this.visibleCount;
    record.queue.inFlight = this.inFlightCount;
    record.queue.ageOfOldestSeconds = this.ageOfOldest();
    record.queue.dlqVisible = this.dlqDepth();
    record.candidateShare = this.candidateShare;
    this.records.push(record);
    // Lambda adds pollers while messages wait, and lets them go when the queue is empty.
    const ceiling = this.config.maxConcurrency;
    const floor = Math.min(INITIAL_POLLERS, ceiling);
    if (this.visibleCount > 0) this.pollerLimit = Math.min(ceiling, this.pollerLimit + POLLER_STEP_PER_MINUTE);
    else this.pollerLimit = Math.max(floor, this.pollerLimit - POLLER_STEP_PER_MINUTE);
  }

  /**
   * The age of the oldest message received fewer than three times. `alive` is in `sentAt` order, so
   * the first such message from the front is the oldest: the scan stops there, instead of reading
   * a backlog of tens of thousands every minute.
   */
  private ageOfOldest(): number {
    const { alive, state, receiveCount } = this;
    let head = this.aliveHead;
    while (head < alive.length && state[alive[head]!]! >= SUCCEEDED) head++;
    this.aliveHead = head;
    let oldest = Infinity;
    for (let i = head; i < alive.length; i++) {
      const id = alive[i]!;
      if (state[id]! < SUCCEEDED && receiveCount[id]! < AGE_IGNORES_RECEIVE_COUNT) {
        oldest = this.sentAt[id]!;
        break;
      }
    }
    const live = this.visibleCount + this.inFlightCount;
    if (alive.length - head > 1024 && alive.length - head > 2 * live) {
      this.alive = alive.slice(head).filter((id) => state[id]! < SUCCEEDED);
      this.aliveHead = 0;
    }
    return oldest === Infinity ? 0 : Math.max(0, Math.floor(this.now - oldest));
  }

  private send(): void {
    if (this.messageCount === this.state.length) this.grow();
    const id = this.messageCount++;
    this.state[id] = VISIBLE;
    this.receiveCount[id] = 0;
    this.sentAt[id] = this.now;
    this.visibleSince[id] = this.now;
    this.firstReceivedAt[id] = Infinity;
    this.poisonKey[id] = this.arrivalRandom.uniform();
    this.visibleQueue.push(id);
    this.visibleCount++;
    this.alive.push(id);
    this.sentTotal++;
    this.open.queue.sent++;
  }

  private grow(): void {
    const size = this.state.length * 2;
    const copy = <T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.state = copy(this.state, new Uint8Array(size));
    this.receiveCount = copy(this.receiveCount, new Int32Array(size));
    this.sentAt = copy(this.sentAt, new Float64Array(size));
    this.visibleSince = copy(this.visibleSince, new Float64Array(size));
    this.firstReceivedAt = copy(this.firstReceivedAt, new Float64Array(size));
    this.poisonKey = copy(this.poisonKey, new Float64Array(size));
  }

  private makeVisible(id: number): void {
    this.visibleSince[id] = this.now;
    this.visibleQueue.push(id);
    this.visibleCount++;
  }

  private handleEvent(): void {
    const events = this.events;
    events.pop();
    const kind = events.poppedKind;
    if (kind === EVENT_COMPLETE) this.complete(events.poppedA);
    else if (kind === EVENT_EXPIRE) this.expire(events.poppedA, events.poppedB);
    else this.windowTimerAt = Infinity;
  }

  private takeBatch(): number {
    const free = this.freeBatches.pop();
    if (free !== undefined) return free;
    const size = this.config.batchSize;
    this.batches.push({ candidate: false, size: 0, ids: new Int32Array(size), receipts: new Int32Array(size), deletes: new Uint8Array(size), error: false, durationMs: 0 });
    return this.batches.length - 1;
  }

  private expire(id: number, receipt: number): void {
    if (this.state[id] !== IN_FLIGHT || this.receiveCount[id] !== receipt) return;
    this.state[id] = VISIBLE;
    this.inFlightCount--;
    this.makeVisible(id);
  }

  /** Starts batches while pollers are free and messages are visible. */
  private dispatch(): void {
    const { batchSize, batchingWindowSeconds } = this.config;
    while (this.busy < this.pollerLimit) {
      this.skipStale();
      if (this.visibleCount === 0) return;
      if (batchingWindowSeconds > 0 && this.visibleCount < batchSize) {
        const due = this.visibleSince[this.visibleQueue[this.visibleHead]!]! + batchingWindowSeconds;
        if (this.now < due) {
          if (due < this.windowTimerAt) {
            this.windowTimerAt = due;
            this.events.push(due, EVENT_WINDOW, 0, 0);
          }
          return;
        }
      }
      this.startBatch();
    }
  }

  private skipStale(): void {
    while (this.visibleHead < this.visibleQueue.length && this.state[this.visibleQueue[this.visibleHead]!] !== VISIBLE) this.visibleHead++;
    if (this.visibleHead > 4096 && this.visibleHead * 2 > this.visibleQueue.length) {
      this.visibleQueue = this.visibleQueue.slice(this.visibleHead);
      this.visibleHead = 0;
    }
  }

  private startBatch(): void {
    const { batchSize, maxReceiveCount, visibilityTimeoutSeconds } = this.config;
    const batchId = this.takeBatch();
    const batch = this.batches[batchId]!;
    const { ids, receipts } = batch;
    let size = 0;
    while (size < batchSize && this.visibleCount > 0) {
      this.skipStale();
      const id = this.visibleQueue[this.visibleHead++]!;
      this.visibleCount--;
      if (maxReceiveCount !== undefined && this.receiveCount[id]! >= maxReceiveCount) {
        this.state[id] = DEAD_LETTERED;
        this.deadLetters.push({ id, at: this.now });
        continue;
      }
      const receipt = this.receiveCount[id]! + 1;
      if (receipt === 1) this.firstReceivedAt[id] = this.now;
      this.receiveCount[id] = receipt;
      this.state[id] = IN_FLIGHT;
      this.inFlightCount++;
      ids[size] = id;
      receipts[size] = receipt;
      size++;
    }
    if (size === 0) {
      this.freeBatches.push(batchId);
      return;
    }
    batch.size = size;
    this.open.queue.received += size;

    const toCandidate = this.candidateShare > 0 && this.random.uniform() < this.candidateShare;
    const active = toCandidate && this.firstShiftAt !== undefined && this.now >= this.firstShiftAt + this.config.candidateFromSeconds;
    const behaviour = active ? this.config.candidate : this.config.stable;
    batch.candidate = toCandidate;
    this.process(batch, behaviour, this.busy);
    const { durationMs, deletes } = batch;
    // A message becomes visible again when its visibility timeout ends unless the batch deletes it
    // first; only those need the event (the outcome is known now, so most messages need none).
    const outlasts = durationMs / 1000 >= visibilityTimeoutSeconds;
    for (let i = 0; i < size; i++) {
      if (outlasts || deletes[i] === 0) this.events.push(this.now + visibilityTimeoutSeconds, EVENT_EXPIRE, ids[i]!, receipts[i]!);
    }
    this.busy++;
    this.events.push(this.now + durationMs / 1000, EVENT_COMPLETE, batchId, 0);
  }

  /** Draws the batch's processing: sets its duration, error and which messages it deletes. */
  private process(batch: Batch, behaviour: QueueVersionBehaviour, running: number): void {
    const { reportBatchItemFailures, functionTimeoutSeconds, invocationOverheadMs } = this.config;
    const timeoutMs = functionTimeoutSeconds * 1000;
    const mu = Math.log(behaviour.latencyMs.median);
    const sigma = Math.log(behaviour.latencyMs.p99 / behaviour.latencyMs.median) / Z99;
    const { ids, deletes, size } = batch;
    const { errorRate, poisonRate, throughputFactor } = behaviour;
    const random = this.random;
    const poisonKey = this.poisonKey;
    let durationMs = invocationOverheadMs;
    let anyFailed = false;
    for (let i = 0; i < size; i++) {
      durationMs += Math.exp(mu + sigma * random.normal()) / throughputFactor;
      const poison = poisonKey[ids[i]!]! < poisonRate;
      const failed = poison || (errorRate > 0 && random.uniform() < errorRate);
      deletes[i] = failed ? 0 : 1;
      if (failed) anyFailed = true;
    }
    const overloaded = behaviour.timeoutAboveConcurrency !== undefined && running > behaviour.timeoutAboveConcurrency;
    const timedOut = overloaded || durationMs > timeoutMs;
    // A timeout, or a failure without ReportBatchItemFailures, returns the whole batch.
    const error = timedOut || (anyFailed && !reportBatchItemFailures);
    if (error) deletes.fill(0, 0, size);
    batch.error = error;
    batch.durationMs = timedOut ? timeoutMs : durationMs;
  }

  private complete(batchId: number): void {
    const batch = this.batches[batchId]!;
    this.freeBatches.push(batchId);
    this.busy--;
    const { ids, receipts, deletes, size } = batch;
    const version = batch.candidate ? this.open.candidate : this.open.stable;
    version.invocations++;
    if (batch.error) version.errors++;
    version.messages += size;
    for (let i = 0; i < size; i++) if (deletes[i] === 0) version.failedMessages++;
    version.durationsMs.push(batch.durationMs);
    for (let i = 0; i < size; i++) {
      if (deletes[i] === 0) continue;
      const id = ids[i]!;
      // A delete applies only with the latest receipt: a message received again since is not ours.
      if (this.receiveCount[id] !== receipts[i]) continue;
      const state = this.state[id];
      if (state === IN_FLIGHT) this.inFlightCount--;
      else if (state === VISIBLE) this.visibleCount--;
      else continue;
      this.state[id] = SUCCEEDED;
      this.succeededTotal++;
      this.open.queue.deleted++;
    }
  }
}

function emptyVersion(): QueueVersionRecord {
  return { invocations: 0, errors: 0, messages: 0, failedMessages: 0, durationsMs: [] };
}

function emptyRecord(minute: number): QueueMinuteRecord {
  return {
    minute,
    queue: { sent: 0, received: 0, deleted: 0, visible: 0, inFlight: 0, ageOfOldestSeconds: 0, dlqVisible: 0 },
    stable: emptyVersion(),
    candidate: emptyVersion(),
    candidateShare: 0,
  };
}

function validate(config: QueueConfig): void {
  const positive: [string, number][] = [
    ['batchSize', config.batchSize],
    ['maxConcurrency', config.maxConcurrency],
    ['functionTimeoutSeconds', config.functionTimeoutSeconds],
    ['stable.throughputFactor', config.stable.throughputFactor],
    ['candidate.throughputFactor', config.candidate.throughputFactor],
  ];
  for (const [field, value] of positive) {
    if (!(value > 0)) throw new RangeError(`queue ${field}: must be above 0, got ${value}`);
  }
  if (config.maxReceiveCount !== undefined && !(config.maxReceiveCount >= 1)) {
    throw new RangeError(`queue maxReceiveCount: must be at least 1, got ${config.maxReceiveCount}`);
  }
}

/** A copy of a random stream at its current position (Random keeps its state in plain fields). */
function cloneRandom(random: Random): Random {
  return Object.assign(new Random(0), random);
}

/** A binary min-heap of (time, kind, a, b) events; ties leave in insertion order. */
class EventHeap {
  clone(): EventHeap {
    const copy = new EventHeap();
    copy.times = this.times.slice();
    copy.seqs = this.seqs.slice();
    copy.kinds = this.kinds.slice();
    copy.as = this.as.slice();
    copy.bs = this.bs.slice();
    copy.seq = this.seq;
    return copy;
  }

  private times: number[] = [];
  private seqs: number[] = [];
  private kinds: number[] = [];
  private as: number[] = [];
  private bs: number[] = [];
  private seq = 0;

  peekTime(): number {
    return this.times.length ? this.times[0]! : Infinity;
  }

  push(time: number, kind: number, a: number, b: number): void {
    let i = this.times.length;
    const seq = this.seq++;
    this.times.push(time);
    this.seqs.push(seq);
    this.kinds.push(kind);
    this.as.push(a);
    this.bs.push(b);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(time, seq, this.times[parent]!, this.seqs[parent]!)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, time, seq, kind, a, b);
  }

  /** The last popped event's kind and values (pop() allocates nothing). */
  poppedKind = 0;
  poppedA = 0;
  poppedB = 0;

  pop(): void {
    this.poppedKind = this.kinds[0]!;
    this.poppedA = this.as[0]!;
    this.poppedB = this.bs[0]!;
    const last = this.times.length - 1;
    const time = this.times[last]!;
    const seq = this.seqs[last]!;
    const kind = this.kinds[last]!;
    const a = this.as[last]!;
    const b = this.bs[last]!;
    this.times.pop();
    this.seqs.pop();
    this.kinds.pop();
    this.as.pop();
    this.bs.pop();
    if (last === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.less(this.times[right]!, this.seqs[right]!, this.times[left]!, this.seqs[left]!) ? right : left;
      if (!this.less(this.times[child]!, this.seqs[child]!, time, seq)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, time, seq, kind, a, b);
  }

  private less(t1: number, s1: number, t2: number, s2: number): boolean {
    return t1 < t2 || (t1 === t2 && s1 < s2);
  }

  private move(from: number, to: number): void {
    this.set(to, this.times[from]!, this.seqs[from]!, this.kinds[from]!, this.as[from]!, this.bs[from]!);
  }

  private set(i: number, time: number, seq: number, kind: number, a: number, b: number): void {
    this.times[i] = time;
    this.seqs[i] = seq;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
  }
}

// --- scenarios ---------------------------------------------------------------------------------

/**
 * The queue and candidate fields that SQS scenarios may add (scenarios/README.md): the contract's
 * `queue` fields plus these extensions, all optional.
 */
export interface QueueScenarioExtensions {
  queue?: {
    batchingWindowSeconds?: number;
    reportBatchItemFailures?: boolean;
    functionTimeoutSeconds?: number;
    maxConcurrency?: number;
    invocationOverheadMs?: number;
    /** false: the queue has no DLQ (then maxReceiveCount is ignored). */
    dlq?: boolean;
    dlqDepthAtStart?: number;
  };
  stable?: { poisonRate?: number; throughputFactor?: number };
  candidate?: { poisonRate?: number; throughputFactor?: number; timeoutUnderLoad?: { concurrencyAbove: number } };
}

/** Defaults for the extensions, chosen to match a well-set-up queue (no warnings from Plan). */
export const QUEUE_DEFAULTS = {
  batchingWindowSeconds: 0,
  reportBatchItemFailures: true,
  functionTimeoutSeconds: 5,
  maxConcurrency: 50,
  invocationOverheadMs: 5,
  dlqDepthAtStart: 0,
} as const;

/**
 * The queue model of an SQS scenario. Arrivals follow `traffic`'s pattern when the scenario has one
 * (its requestsPerMinute then is the message rate), else a steady `queue.messagesPerMinute`.
 */
export function queueConfigFromScenario(scenario: Scenario, seed: number): QueueConfig {
  const queue = scenario.queue;
  if (!queue) throw new RangeError(`${scenario.name}: an SQS scenario needs a queue`);
  const extra = scenario as unknown as QueueScenarioExtensions;
  const q = extra.queue ?? {};
  const traffic = scenario.traffic ? new TrafficModel(scenario, seed) : undefined;
  const steady = queue.messagesPerMinute;
  const stableExtra = extra.stable ?? {};
  const candidateExtra = extra.candidate ?? {};
  const timeoutUnderLoad = candidateExtra.timeoutUnderLoad?.concurrencyAbove;
  return {
    messagesPerMinute: traffic ? (minute) => traffic.requestsPerMinute(minute) : () => steady,
    batchSize: queue.batchSize,
    batchingWindowSeconds: q.batchingWindowSeconds ?? QUEUE_DEFAULTS.batchingWindowSeconds,
    visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
    ...(q.dlq === false ? {} : { maxReceiveCount: queue.maxReceiveCount }),
    reportBatchItemFailures: q.reportBatchItemFailures ?? QUEUE_DEFAULTS.reportBatchItemFailures,
    functionTimeoutSeconds: q.functionTimeoutSeconds ?? QUEUE_DEFAULTS.functionTimeoutSeconds,
    maxConcurrency: q.maxConcurrency ?? QUEUE_DEFAULTS.maxConcurrency,
    invocationOverheadMs: q.invocationOverheadMs ?? QUEUE_DEFAULTS.invocationOverheadMs,
    dlqDepthAtStart: q.dlqDepthAtStart ?? QUEUE_DEFAULTS.dlqDepthAtStart,
    stable: {
      errorRate: scenario.stable.errorRate,
      latencyMs: scenario.stable.latencyMs,
      poisonRate: stableExtra.poisonRate ?? 0,
      throughputFactor: stableExtra.throughputFactor ?? 1,
    },
    candidate: {
      errorRate: scenario.candidate.errorRate,
      latencyMs: scenario.candidate.latencyMs,
      poisonRate: candidateExtra.poisonRate ?? stableExtra.poisonRate ?? 0,
      throughputFactor: candidateExtra.throughputFactor ?? stableExtra.throughputFactor ?? 1,
      ...(timeoutUnderLoad === undefined ? {} : { timeoutAboveConcurrency: timeoutUnderLoad }),
    },
    candidateFromSeconds: 60 * scenario.candidate.fromMinute,
  };
}

// --- the simulated account's seam ----------------------------------------------------------------

/** Where the event source mapping of a scenario points (an extension, to exercise Plan's checks). */
export const MAPPING_TARGETS = ['alias', 'function', 'version'] as const;

/** What the queue source needs of the simulated account. */
export interface QueueAccountSettings {
  functionName: string;
  alias: string;
  stableVersion: string;
  region?: string;
  accountId?: string;
}

/** The queue model as the simulated account's minute source, with the queue's QueueInspector. */
export interface QueueMinuteSource extends MinuteSource {
  readonly model: SimulatedQueue;
  queues: QueueInspector;
  queueSummary(): QueueAccounting;
  /** Invocations of a side in a minute slower than a threshold, counted from their durations. */
  slowCount(index: number, side: 'stable' | 'candidate', thresholdMs: number): number;
  /**
   * Messages the candidate failed beyond what stable's failure rate (per delivered message, over the
   * run) would have failed on the same deliveries, over the minutes before `endIndex`; ≥ 0.
   */
  excessFailures(endIndex: number): number;
  /** DLQ depth at the end of a simulated minute (undefined for a minute not simulated yet). */
  dlqDepthAt(index: number): number | undefined;
}

/**
 * The queue model of an SQS scenario as a minute source for src/sim/account.ts: routing changes
 * reach the model at the moment they happen, each minute the account asks for is simulated to its
 * end, and the mapping, queue and DLQ are served through the QueueInspector port — a depth or a
 * redrive first brings the queue up to the account's clock.
 *
 * @example
 * const account = createSimAccount(scenario, { seed, source: (context) => queueMinuteSource(context, accountSettings(scenario)) });
 */
export function queueMinuteSource(context: MinuteSourceContext, settings: QueueAccountSettings): QueueMinuteSource {
  const { scenario, seed } = context;
  const origin = context.simulationStart.getTime();
  /** Seconds of model time for an account time, never before where the model already is. */
  const secondsAt = (at: Date): number => Math.max(model.time, (at.getTime() - origin) / 1000);
  const catchUp = (): void => model.advanceTo(secondsAt(context.now()));
  const config = queueConfigFromScenario(scenario, seed);
  const model = new SimulatedQueue(config, seed);
  const region = settings.region ?? 'us-east-1';
  const accountId = settings.accountId ?? '123456789012';
  const extra = ((scenario as unknown as { queue?: { fifo?: boolean; mappingOn?: string } }).queue ?? {});
  const queueName = `${settings.functionName}-events${extra.fifo ? '.fifo' : ''}`;
  const dlqName = `${settings.functionName}-events-dlq${extra.fifo ? '.fifo' : ''}`;
  const url = (name: string) => `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
  const arn = (name: string) => `arn:aws:sqs:${region}:${accountId}:${name}`;
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${settings.functionName}`;
  const mappingOn = (MAPPING_TARGETS as readonly string[]).includes(extra.mappingOn ?? '') ? extra.mappingOn : 'alias';
  const qualifier = mappingOn === 'alias' ? `:${settings.alias}` : mappingOn === 'version' ? `:${settings.stableVersion}` : '';
  const dlqDepths: number[] = [];

  const source: QueueSource = {
    mappingId: `${settings.functionName}-sqs-mapping`,
    functionArn: `${functionArn}${qualifier}`,
    queueArn: arn(queueName),
    queueUrl: url(queueName),
    queueName,
    fifo: extra.fifo === true,
    batchSize: config.batchSize,
    batchingWindowSeconds: config.batchingWindowSeconds,
    reportBatchItemFailures: config.reportBatchItemFailures,
    enabled: true,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    ...(config.maxReceiveCount === undefined ? {} : { dlq: { arn: arn(dlqName), url: url(dlqName), name: dlqName, maxReceiveCount: config.maxReceiveCount } }),
    metricsEnabled: false,
  };

  const queues: QueueInspector = {
    listQueueSources: async (functionName) => (functionName === settings.functionName || functionName === functionArn ? [{ ...source, ...(source.dlq ? { dlq: { ...source.dlq } } : {}) }] : []),
    depth: async (queueUrl) => {
      catchUp();
      if (queueUrl === source.queueUrl) return model.visibleDepth();
      if (source.dlq && queueUrl === source.dlq.url) return model.dlqDepth();
      throw queueDoesNotExist(queueUrl);
    },
    redrive: async (dlq, target, since) => {
      if (!source.dlq || dlq.url !== source.dlq.url) throw queueDoesNotExist(dlq.url);
      if (target.url !== source.queueUrl) throw queueDoesNotExist(target.url);
      const at = Date.parse(since);
      if (Number.isNaN(at)) throw new RangeError(`redrive: not a time: ${since}`);
      catchUp();
      return model.redrive(Math.max(0, (at - origin) / 1000));
    },
  };

  const stableDurations = (): number[] => model.minutes().filter((record) => record.candidateShare === 0).flatMap((record) => record.stable.durationsMs);

  return {
    model,
    queues,
    routingChanged(at: Date, candidateShare: number): void {
      model.advanceTo(secondsAt(at));
      model.setCandidateShare(Math.min(1, Math.max(0, candidateShare)));
    },
    minute({ index }: MinuteContext): SourceMinute {
      model.advanceTo(Math.max(model.time, (index + 1) * 60));
      const record = model.minute(index);
      if (!record) throw new RangeError(`queue model: minute ${index} was not simulated`);
      dlqDepths[index] = record.queue.dlqVisible;
      return {
        stable: model.versionMinute(index, 'stable') ?? { invocations: 0, errors: 0, throttles: 0 },
        candidate: model.versionMinute(index, 'candidate') ?? { invocations: 0, errors: 0, throttles: 0 },
        queue: cloudWatchQueueMinute(record),
      };
    },
    expectedSlowFraction: (side, _minutesSinceShift, thresholdMs) => {
      const durations = model.minutes().flatMap((record) => record[side].durationsMs);
      return durations.length ? durations.filter((ms) => ms > thresholdMs).length / durations.length : 0;
    },
    slowCount: (index, side, thresholdMs) => (model.minute(index)?.[side].durationsMs ?? []).filter((ms) => ms > thresholdMs).length,
    stableLatencyPercentile: (percentile) => {
      const sorted = stableDurations().sort((a, b) => a - b);
      if (sorted.length === 0) return config.stable.latencyMs.p99;
      return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1))]!;
    },
    stableErrorRate: () => config.stable.errorRate,
    excessFailures: (endIndex) => {
      let stableFailed = 0;
      let stableMessages = 0;
      let candidateFailed = 0;
      let candidateMessages = 0;
      for (const record of model.minutes()) {
        if (record.minute >= endIndex) break;
        stableFailed += record.stable.failedMessages;
        stableMessages += record.stable.messages;
        candidateFailed += record.candidate.failedMessages;
        candidateMessages += record.candidate.messages;
      }
      const stableRate = stableMessages > 0 ? stableFailed / stableMessages : 0;
      return Math.max(0, candidateFailed - candidateMessages * stableRate);
    },
    dlqDepthAt: (index) => dlqDepths[index],
    queueSummary: () => model.accounting(),
  };
}

function queueDoesNotExist(url: string): Error {
  const error = new Error(`The specified queue does not exist: ${url}`);
  error.name = 'QueueDoesNotExist';
  return error;
}

// --- the benchmark's seam ------------------------------------------------------------------------

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
 * const run = queueBenchRun(scenario, seed, { baselineMinutes: 15, latencyPercentile: 99 });
 * const policy = coalminePolicy.start({ ..., baseline: run.baseline, strategy: run.strategy });
 * const minute = run.minute(policy.weight(), { slowThresholdMs: run.baseline.latencyThresholdMs });
 */
export function queueBenchRun(scenario: Scenario, seed: number, options: { baselineMinutes: number; latencyPercentile: number }): QueueBenchRun {
  const config = queueConfigFromScenario(scenario, seed);
  const model = new SimulatedQueue(config, seed);
  // A few minutes to reach a steady state, then the baseline's minutes.
  const warmup = 5;
  const first = warmup;
  model.advanceTo((warmup + options.baselineMinutes) * 60);
  const records = model.minutes().slice(first);
  const durations = records.flatMap((record) => record.stable.durationsMs).sort((a, b) => a - b);
  const baseline: Baseline = {
    minutes: records.length,
    invocations: records.reduce((sum, record) => sum + record.stable.invocations, 0),
    errors: records.reduce((sum, record) => sum + record.stable.errors, 0),
    queue: records.map((record) => cloudWatchQueueMinute(record)),
  };
  if (durations.length > 0) {
    baseline.latencyThresholdMs = durations[Math.min(durations.length - 1, Math.max(0, Math.ceil((options.latencyPercentile / 100) * durations.length) - 1))]!;
  }
  const setup: QueueJudgeSetup = {
    batchSize: config.batchSize,
    reportBatchItemFailures: config.reportBatchItemFailures,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    batchingWindowSeconds: config.batchingWindowSeconds,
    ...(config.maxReceiveCount === undefined ? {} : { maxReceiveCount: config.maxReceiveCount }),
  };
  const strategy = defaultEventStrategy({
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    batchingWindowSeconds: config.batchingWindowSeconds,
    ...(config.maxReceiveCount === undefined ? {} : { dlq: { maxReceiveCount: config.maxReceiveCount } }),
  });
  const shiftMinute = warmup + options.baselineMinutes;
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

/** A simulated minute's queue figures as the metrics port reports them (in flight = NotVisible). */
function cloudWatchQueueMinute(record: QueueMinuteRecord): QueueMinute {
  const { inFlight, ...figures } = record.queue;
  return { ...figures, notVisible: inFlight };
}
