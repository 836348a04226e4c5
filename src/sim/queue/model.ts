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
 * const queue = new SimulatedQueue(queueConfigFromScenario(scenario, seed), seed);
 * queue.advanceTo(15 * 60);          // baseline: all on stable
 * queue.setCandidateShare(0.05);     // the alias sends 5% of invocations (batches) to the candidate
 * queue.advanceTo(30 * 60);
 * queue.minute(20)?.queue.received;  // messages received in minute 20
 * queue.accounting().lost;           // 0
 */
import type { VersionMinute } from '../../core/ports.ts';
import { mixSeed, normalQuantile, Random } from '../random.ts';
import { validateQueueConfig, type QueueConfig, type QueueVersionBehaviour } from './config.ts';
import { EVENT_COMPLETE, EVENT_EXPIRE, EVENT_WINDOW, EventHeap } from './events.ts';
import { emptyMinuteRecord, MESSAGE_STATES, type MessageState, type QueueAccounting, type QueueMinuteRecord } from './records.ts';

const VISIBLE = 0;
const IN_FLIGHT = 1;
const SUCCEEDED = 2;
const DEAD_LETTERED = 3;

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
    validateQueueConfig(config);
    this.config = config;
    this.seed = seed;
    this.random = new Random(mixSeed(seed, 0x717565));
    this.pollerLimit = Math.min(INITIAL_POLLERS, config.maxConcurrency);
    this.open = emptyMinuteRecord(0);
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
    const open = emptyMinuteRecord(this.open.minute);
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
    this.open = emptyMinuteRecord(minute);
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

/** A copy of a random stream at its current position (Random keeps its state in plain fields). */
function cloneRandom(random: Random): Random {
  return Object.assign(new Random(0), random);
}
