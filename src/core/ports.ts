/**
 * The seams between Coalmine's pure core and the world. The AWS adapters (src/aws) implement
 * them with SDK v3 clients; the simulated account (src/sim) implements them in memory.
 * An adapter never decides anything: it reads, writes and maps errors to src/core/errors.ts.
 */

/** A Lambda alias as Coalmine sees it. `weights` are the additional versions' shares in percent. */
export interface AliasState {
  functionName: string;
  name: string;
  /** The version the alias points at (gets 100 − sum(weights) percent). */
  version: string;
  /** Additional version → percent of traffic, e.g. `{ "13": 10 }`. Empty when not split. */
  weights: Record<string, number>;
  description: string;
  revisionId: string;
}

/** What to change on an alias. Omitted fields are left as they are. */
export interface AliasChange {
  version?: string;
  /** Replace the routing; `{}` removes it. */
  weights?: Record<string, number>;
  description?: string;
}

/** Lambda aliases: read them, and change them only if nobody else has since `revisionId`. */
export interface TrafficRouter {
  getAlias(functionName: string, alias: string): Promise<AliasState>;
  /**
   * Applies `change` only if the alias' revision is still `revisionId`, and returns the alias after.
   * Throws AliasChangedError when the revision moved on (someone else changed it).
   */
  updateAlias(functionName: string, alias: string, change: AliasChange, revisionId: string): Promise<AliasState>;
  /** Every alias of the function (Cleanup finds the one an execution owns by its mark). */
  listAliases(functionName: string): Promise<AliasState[]>;
}

/** A published function and what Plan needs to know of it. */
export interface FunctionInfo {
  functionName: string;
  functionArn: string;
  /** Published versions, as strings of digits, ascending. */
  versions: string[];
  timeoutSeconds: number;
  tags: Record<string, string>;
  /** Each published version's memory size in MB (what a request's duration is billed at), when known. */
  memoryMB?: Record<string, number>;
  /** Where and how the function logs (Lambda's LoggingConfig); absent: `/aws/lambda/<name>`, in text. */
  logging?: { logGroup: string; format: string };
}

/** A published version's configuration, as far as routing an alias to it depends on it. */
export interface VersionConfig {
  version: string;
  /** Lambda's State: `Active`, `Pending`, `Inactive` or `Failed`. */
  state: string;
  stateReason?: string;
  /** The execution role's ARN. */
  role: string;
  /** The dead-letter queue or topic of asynchronous invocations, if any. */
  deadLetterTargetArn?: string;
}

/** How many executions a function may run at once (Lambda's concurrency settings). */
export interface FunctionConcurrency {
  /** The function's reserved concurrency (GetFunctionConcurrency); absent when it has none. */
  reserved?: number;
  /** The account's unreserved concurrency in the region (GetAccountSettings), when it may be read. */
  accountUnreserved?: number;
}

/** Lambda functions: does it exist, which versions does it have. */
export interface FunctionRegistry {
  /** Throws FunctionNotFoundError when the function does not exist. */
  getFunction(functionName: string): Promise<FunctionInfo>;
  /** One published version's configuration. Throws InvalidVersionError when there is no such version. */
  getVersion(functionName: string, version: string): Promise<VersionConfig>;
  /** The function's reserved concurrency and the account's unreserved pool (Plan's only: other steps' sources may leave it out). */
  getConcurrency?(functionName: string): Promise<FunctionConcurrency>;
}

/** One minute of one version's figures, as CloudWatch reports them (sums over the minute). */
export interface VersionMinute {
  invocations: number;
  errors: number;
  throttles: number;
  /** 99th percentile duration; absent when CloudWatch has no datapoint. */
  p99Ms?: number;
  /** Invocations slower than the plan's latency threshold (CloudWatch `TC(threshold:)`). */
  slow?: number;
  /**
   * Invocations slower than the version's median threshold (`VersionMetricsQuery.medianThresholdsMs`):
   * the cost check's count, which sees the body of the duration distribution move, not only its tail.
   */
  overMedian?: number;
  /** Mean duration in ms (CloudWatch `Average`): with the memory size, the cost of a request. */
  averageMs?: number;
  /** Custom metrics by their id in the request. */
  custom?: Record<string, number>;
  /** Cold starts: REPORT lines with an init duration (Logs Insights on the function's log group); absent when not read. */
  coldStarts?: number;
  /** The mean init duration of those cold starts, in ms. */
  initMs?: number;
}

/** One minute of a queue's figures (SQS metrics are queue-wide, not per version). */
export interface QueueMinute {
  sent: number;
  received: number;
  deleted: number;
  visible: number;
  ageOfOldestSeconds: number;
  dlqVisible: number;
  /**
   * ApproximateNumberOfMessagesNotVisible (received, not yet deleted nor visible again). Lets the
   * judge tell batches still running at the minute's end from messages that failed.
   */
  notVisible?: number;
  /**
   * The event source mapping's own counts for the minute (Lambda's EventCount metrics, published only
   * when the mapping has `MetricsConfig: { Metrics: ["EventCount"] }`). Absent when not asked for or
   * when CloudWatch had no datapoint. Unlike the queue's figures, they count only what this mapping
   * did. `failedInvoke` counts events of invocations that failed or returned a non-empty
   * `BatchItemFailures`, timestamped at the invocation's end; `filteredOut` events are deleted by
   * Lambda unprocessed. (Lambda publishes DroppedEventCount and OnFailureDestinationDeliveredEventCount
   * for stream and Kafka mappings only, not for SQS.)
   */
  mapping?: { polled: number; invoked: number; failedInvoke: number; deleted: number; filteredOut: number };
}

/** One settled minute: each version's figures, or null when there was no datapoint. */
export interface MinuteObservation {
  /** ISO time of the minute's start. */
  minute: string;
  stable: VersionMinute | null;
  candidate: VersionMinute | null;
  queue?: QueueMinute | null;
  /**
   * Set when this observation is only what arrived late for a minute already judged (Lambda sends an
   * invocation's metrics when it ends, stamped with its start): the minute's invocations as now
   * read, on which the candidate's share of the late counts is judged.
   */
  lateFor?: { candidateInvocations: number; stableInvocations: number };
}

/** A query that failed is a measurement of its own, never an exception and never "healthy". */
export interface MeasurementFailure {
  metric: string;
  message: string;
}

export interface CustomMetricQuery {
  id: string;
  namespace: string;
  metricName: string;
  /** Dimensions shared by both versions. */
  dimensions: Record<string, string>;
  /** The dimension whose value is the version (e.g. `ExecutedVersion`). */
  versionDimension: string;
  stat: 'Sum' | 'Average' | 'Maximum' | 'p99';
}

export interface VersionMetricsQuery {
  functionName: string;
  alias: string;
  stableVersion: string;
  candidateVersion: string;
  /** Window [start, end) on whole minutes, ISO times. */
  start: string;
  end: string;
  /** Count invocations slower than this into `slow`. */
  slowThresholdMs?: number;
  /** Count each version's invocations slower than its threshold into `overMedian`, and read their mean duration. */
  medianThresholdsMs?: { stable: number; candidate: number };
  customMetrics?: CustomMetricQuery[];
  /**
   * Queue-wide metrics to read alongside (SQS-triggered functions); with `mappingId`, the event source
   * mapping's own event counts too (only when its MetricsConfig has EventCount).
   */
  queue?: { queueName: string; dlqName?: string; mappingId?: string };
}

/** The window of figures that has settled, for a pair of versions. */
export interface MetricsWindow {
  minutes: MinuteObservation[];
  failures: MeasurementFailure[];
}

/** The stable version before the first shift: what "normal" looks like. */
export interface Baseline {
  minutes: number;
  invocations: number;
  errors: number;
  /** Median of the per-minute invocations (a minute with no datapoint counts as 0): bursty traffic's quiet rate. */
  medianInvocationsPerMinute?: number;
  /** Stable's latency at the judged percentile before the shift; absent with no data. */
  latencyThresholdMs?: number;
  /** Stable's median duration before the shift (the cost check's reference); absent with no data. */
  medianMs?: number;
  queue?: QueueMinute[];
  /** SQS: the queue's day before the baseline, summed (`summariseQueueHistory`), where Plan could read it. */
  queueHistory?: QueueHistorySummary;
}

/** The queue's receives and deletes over whole hours before the baseline: its retry rate over a day. */
export interface QueueHistorySummary {
  hours: number;
  received: number;
  /** Received − deleted over the hours, floored at 0: messages that came back instead of being deleted. */
  failures: number;
}

/** One hour of a queue's traffic: NumberOfMessagesReceived and NumberOfMessagesDeleted summed. */
export interface HourlyQueueTraffic {
  /** ISO time of the hour's start. */
  start: string;
  received: number;
  deleted: number;
}

/** One hour of an alias' traffic, all versions together. */
export interface HourlyTraffic {
  /** ISO time of the hour's start. */
  start: string;
  invocations: number;
  errors: number;
}

/** The alias' hourly traffic before the canary; a failed query is a failure, not an exception (the history only adds to the baseline). */
export interface TrafficHistory {
  hours: HourlyTraffic[];
  /** The queue's hours, when the query named a queue and they could be read. */
  queueHours?: HourlyQueueTraffic[];
  failures: MeasurementFailure[];
}

/** CloudWatch-like metrics. */
export interface MetricsSource {
  versionMinutes(query: VersionMetricsQuery): Promise<MetricsWindow>;
  /** Stable version's figures over [start, end), with its duration at `percentile` (e.g. 99). */
  baseline(query: { functionName: string; alias: string; version: string; start: string; end: string; percentile: number; queue?: { queueName: string; dlqName?: string } }): Promise<Baseline>;
  /**
   * The alias' Invocations and Errors summed by whole hour over [start, end) (hour-aligned ISO
   * times), and with `queue` the queue's NumberOfMessagesReceived and NumberOfMessagesDeleted. Plan's only: a source wired for the later steps may leave it out (and their bundles smaller).
   */
  history?(query: { functionName: string; alias: string; start: string; end: string; queue?: { queueName: string } }): Promise<TrafficHistory>;
}

/** Time. The simulated account jumps it; AWS reads the wall clock. */
export interface Clock {
  now(): Date;
}

/** An SQS event source mapping on the function, with its queue's settings. */
export interface QueueSource {
  mappingId: string;
  /** The function ARN the mapping invokes, as configured (qualified or not). */
  functionArn: string;
  queueArn: string;
  queueUrl: string;
  queueName: string;
  fifo: boolean;
  batchSize: number;
  batchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
  visibilityTimeoutSeconds: number;
  dlq?: { arn: string; url: string; name: string; maxReceiveCount: number };
  metricsEnabled: boolean;
}

/** Event source mappings, queues and dead-letter queues. */
export interface QueueInspector {
  /** Every SQS mapping on the function, any qualifier, with its queue's attributes. */
  listQueueSources(functionName: string): Promise<QueueSource[]>;
  /** Messages now in a queue (ApproximateNumberOfMessages). */
  depth(queueUrl: string): Promise<number>;
  /**
   * Moves back from the DLQ to the source queue the messages that arrived in the DLQ at or after
   * `since` (and only those), within `budgetSeconds`; says what it examined and whether it read the
   * DLQ to the end.
   */
  redrive(dlq: { url: string; arn: string }, source: { url: string; arn: string }, since: string, options?: { budgetSeconds?: number }): Promise<RedriveReport>;
}

/** What a redrive pass did. Of the messages it examined, those not counted below were not the canary's: left as they were. */
export interface RedriveReport {
  /** Sent back to the source queue and deleted from the DLQ. */
  moved: number;
  /** DLQ messages received and looked at (the canary's and others'). */
  examined: number;
  /** The canary's dead letters it could not send back: left, visible again, in the DLQ. */
  notMoved: number;
  /** Sent back, but their deletion from the DLQ failed: a copy is in both queues (reported, never silent). */
  inBothQueues: number;
  /** True when the DLQ was read to the end; false when the time budget ran out first. */
  complete: boolean;
}

/** An execution of the canary state machine, as Step Functions describes it. */
export interface ExecutionDescription {
  executionArn: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE. */
  status: string;
  /** The execution's input, whole (a status-change event may leave it out). */
  input?: string;
}

/** Step Functions: Cleanup asks it whether an execution really ended, and for its input. */
export interface ExecutionRegistry {
  /** Throws ExecutionNotFoundError when there is no such execution. */
  describeExecution(executionArn: string): Promise<ExecutionDescription>;
}

/** What a synchronous invocation answered. */
export interface InvocationResult {
  /**
   * Set when the function failed (Lambda's `FunctionError`: `Unhandled` for an uncaught error or a
   * timeout, `Handled` for an error the function reported); the payload then holds its error.
   */
  functionError?: string;
  /** The function's answer, parsed as JSON (null when it returned nothing, the raw text when not JSON). */
  payload: unknown;
}

/** Lambda `Invoke` (RequestResponse): the checks before traffic call the candidate version and the user's hook. */
export interface FunctionInvoker {
  /**
   * Invokes `functionName` (a name or ARN) at `qualifier` (a version or alias; the ARN's own when
   * absent) with `payload` and waits for the answer. A function error is an answer, not an
   * exception; a failure to invoke at all (no such function, access denied, throttled) throws.
   */
  invoke(request: { functionName: string; qualifier?: string; payload: unknown }): Promise<InvocationResult>;
}

/** A CloudWatch alarm's state. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** CloudWatch alarms: the release gates (`gates.alarms`). */
export interface AlarmReader {
  /** The state of each named alarm, metric or composite; a name with no alarm is absent. */
  states(names: readonly string[]): Promise<Record<string, AlarmState>>;
}

/** Everything the core needs, in one object the handlers wire up. */
export interface Ports {
  router: TrafficRouter;
  functions: FunctionRegistry;
  metrics: MetricsSource;
  queues: QueueInspector;
  executions: ExecutionRegistry;
  invoker: FunctionInvoker;
  alarms: AlarmReader;
  clock: Clock;
}
