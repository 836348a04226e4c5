/**
 * CloudWatch as the MetricsSource: per-version Lambda metrics of an alias, custom metrics,
 * queue-wide SQS metrics and the event source mapping's own event counts, one `GetMetricData` call (paginated) per look, on whole minutes.
 *
 * Lambda publishes alias metrics per executed version with exactly the dimensions
 * `FunctionName` (the bare name), `Resource` (`name:alias`) and `ExecutedVersion` (Lambda Developer
 * Guide, "Types of metrics for Lambda functions": ExecutedVersion "only applies to alias
 * invocations"; the same three-dimension set is in aws-cdk-lib's generated LambdaMetrics).
 * `TC(threshold:)` is CloudWatch's trimmed count: the number of datapoints above `threshold` (its lower
 * bound is exclusive; CloudWatch User Guide, "Statistics definitions").
 *
 * Failures follow Argo Rollouts' error measurements: a query that fails, or whose status is not
 * `Complete` after the last page (`PartialData`, `Forbidden`, `InternalError`), becomes a
 * MeasurementFailure and its figures are left out; only throttling and 5xx are thrown, as the named
 * retryable errors, so the state machine retries the look.
 */
import { DescribeAlarmsCommand, GetMetricDataCommand, type CloudWatchClient, type Dimension, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { AccessDeniedError, TransientServiceError } from '../core/errors.ts';
import type {
  AlarmReader,
  AlarmState,
  Baseline,
  HourlyQueueTraffic,
  HourlyTraffic,
  MeasurementFailure,
  MetricsSource,
  MetricsWindow,
  MinuteObservation,
  QueueMinute,
  TrafficHistory,
  VersionMetricsQuery,
  VersionMinute,
} from '../core/ports.ts';
import { lambdaFunctionName } from '../core/arn.ts';
import { callAws, isRetryable, toCoalmineError } from './errors.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** GetMetricData takes at most 500 queries per call; far more than a look needs. */
const MAX_PAGES = 50;

/** One series asked of CloudWatch, with a name a person reads in a MeasurementFailure. */
interface Series {
  id: string;
  label: string;
  query: MetricDataQuery;
}

/** What came back for one series: value per minute (epoch ms), and whether it is whole. */
interface SeriesResult {
  points: Map<number, number>;
  failure?: string;
}

function dimensions(values: Record<string, string>): Dimension[] {
  return Object.entries(values).map(([Name, Value]) => ({ Name, Value }));
}

function series(id: string, label: string, namespace: string, metricName: string, dims: Record<string, string>, stat: string, period = 60): Series {
  return {
    id,
    label,
    query: {
      Id: id,
      Label: label,
      ReturnData: true,
      MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions(dims) }, Period: period, Stat: stat },
    },
  };
}

/** The dimensions of one version's share of an alias' traffic. */
function aliasVersionDimensions(functionName: string, alias: string, version: string): Record<string, string> {
  const name = lambdaFunctionName(functionName);
  return { FunctionName: name, Resource: `${name}:${alias}`, ExecutedVersion: version };
}

/** Formats a threshold for a CloudWatch statistic: plain decimals, no exponent. */
function statNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function versionSeries(prefix: 's' | 'c', role: 'stable' | 'candidate', query: VersionMetricsQuery, version: string): Series[] {
  const dims = aliasVersionDimensions(query.functionName, query.alias, version);
  const list = [
    series(`${prefix}_inv`, `${role} Invocations`, 'AWS/Lambda', 'Invocations', dims, 'Sum'),
    series(`${prefix}_err`, `${role} Errors`, 'AWS/Lambda', 'Errors', dims, 'Sum'),
    series(`${prefix}_thr`, `${role} Throttles`, 'AWS/Lambda', 'Throttles', dims, 'Sum'),
    series(`${prefix}_p99`, `${role} Duration p99`, 'AWS/Lambda', 'Duration', dims, 'p99'),
  ];
  // Invocations slower than a threshold: the latency check's (stable's p99) and the cost check's (a median).
  const over = (id: string, threshold: number) => series(`${prefix}_${id}`, `${role} Duration above ${statNumber(threshold)} ms`, 'AWS/Lambda', 'Duration', dims, `TC(${statNumber(threshold)}:)`);

  if (query.slowThresholdMs !== undefined) list.push(over('slow', query.slowThresholdMs));
  if (query.medianThresholdsMs !== undefined) {
    list.push(over('med', query.medianThresholdsMs[role]), series(`${prefix}_avg`, `${role} Duration`, 'AWS/Lambda', 'Duration', dims, 'Average'));
  }
  for (const custom of query.customMetrics ?? []) {
    list.push(
      series(`${prefix}_x_${custom.id}`, `${role} ${custom.id}`, custom.namespace, custom.metricName, { ...custom.dimensions, [custom.versionDimension]: version }, custom.stat),
    );
  }
  return list;
}

function queueSeries(queue: { queueName: string; dlqName?: string }): Series[] {
  const dims = { QueueName: queue.queueName };
  const list = [
    series('q_sent', `${queue.queueName} NumberOfMessagesSent`, 'AWS/SQS', 'NumberOfMessagesSent', dims, 'Sum'),
    series('q_recv', `${queue.queueName} NumberOfMessagesReceived`, 'AWS/SQS', 'NumberOfMessagesReceived', dims, 'Sum'),
    series('q_del', `${queue.queueName} NumberOfMessagesDeleted`, 'AWS/SQS', 'NumberOfMessagesDeleted', dims, 'Sum'),
    series('q_vis', `${queue.queueName} ApproximateNumberOfMessagesVisible`, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', dims, 'Maximum'),
    series('q_age', `${queue.queueName} ApproximateAgeOfOldestMessage`, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', dims, 'Maximum'),
    // In flight at the minute's end: tells batches still running from messages that failed.
    series('q_inflight', `${queue.queueName} ApproximateNumberOfMessagesNotVisible`, 'AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', dims, 'Maximum'),
  ];
  if (queue.dlqName) {
    list.push(series('q_dlq', `${queue.dlqName} ApproximateNumberOfMessagesVisible`, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: queue.dlqName }, 'Maximum'));
  }
  return list;
}

/**
 * The event source mapping's own counts. Lambda publishes them in `AWS/Lambda` with the single
 * dimension `EventSourceMappingUUID`, only when the mapping's MetricsConfig has EventCount (Lambda
 * Developer Guide, "Event source mapping metrics"); for SQS these five apply (DroppedEventCount and
 * OnFailureDestinationDeliveredEventCount are for stream and Kafka mappings).
 */
const MAPPING_METRICS = [
  ['m_polled', 'PolledEventCount'],
  ['m_inv', 'InvokedEventCount'],
  ['m_failed', 'FailedInvokeEventCount'],
  ['m_del', 'DeletedEventCount'],
  ['m_filtered', 'FilteredOutEventCount'],
] as const;

function mappingSeries(mappingId: string): Series[] {
  // The label names the mapping, not the queue: a failed mapping query is not a failed queue query.
  return MAPPING_METRICS.map(([id, metricName]) => series(id, `event source mapping ${mappingId} ${metricName}`, 'AWS/Lambda', metricName, { EventSourceMappingUUID: mappingId }, 'Sum'));
}

/**
 * The mapping's minute: undefined when a mapping query failed or none of its series has a datapoint
 * for the minute (metrics off, or not published yet); otherwise a missing count is 0.
 */
function mappingMinute(minute: number, results: Map<string, SeriesResult>): QueueMinute['mapping'] {
  const entries = MAPPING_METRICS.map(([id]) => results.get(id)).filter((entry): entry is SeriesResult => entry !== undefined);
  if (entries.length === 0 || entries.some((entry) => entry.failure)) return undefined;
  if (entries.every((entry) => !entry.points.has(minute))) return undefined;
  const value = (id: string) => results.get(id)?.points.get(minute) ?? 0;
  return { polled: value('m_polled'), invoked: value('m_inv'), failedInvoke: value('m_failed'), deleted: value('m_del'), filteredOut: value('m_filtered') };
}

/** Whole minutes [start, end) as epoch ms; both ends are taken down to their minute. */
function minuteRange(start: string, end: string): { startMs: number; endMs: number; minutes: number[] } {
  const startMs = Math.floor(Date.parse(start) / MINUTE_MS) * MINUTE_MS;
  const endMs = Math.floor(Date.parse(end) / MINUTE_MS) * MINUTE_MS;
  const minutes: number[] = [];
  for (let at = startMs; at < endMs; at += MINUTE_MS) minutes.push(at);
  return { startMs, endMs, minutes };
}

/**
 * Runs the queries, following NextToken, and gathers each series' points. Throttling and 5xx are
 * thrown (retryable); any other failure of the call comes back as `callFailure`.
 */
async function fetchSeries(client: CloudWatchClient, list: Series[], startMs: number, endMs: number): Promise<{ results: Map<string, SeriesResult>; callFailure?: string }> {
  const results = new Map<string, SeriesResult>(list.map((s) => [s.id, { points: new Map<number, number>() }]));
  let nextToken: string | undefined;
  let lastStatus = new Map<string, { status: string; message: string }>();
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: list.map((s) => s.query),
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          ScanBy: 'TimestampAscending',
          NextToken: nextToken,
        }),
      );
      lastStatus = new Map();
      for (const result of out.MetricDataResults ?? []) {
        const entry = result.Id ? results.get(result.Id) : undefined;
        if (!entry) continue;
        const timestamps = result.Timestamps ?? [];
        const values = result.Values ?? [];
        timestamps.forEach((timestamp, index) => {
          const value = values[index];
          if (value !== undefined) entry.points.set(new Date(timestamp).getTime(), value);
        });
        lastStatus.set(result.Id!, {
          status: result.StatusCode ?? 'Complete',
          message: (result.Messages ?? []).map((m) => [m.Code, m.Value].filter(Boolean).join(': ')).join('; '),
        });
      }
      nextToken = out.NextToken;
      if (!nextToken) break;
    }
  } catch (error) {
    const mapped = toCoalmineError(error, 'cloudwatch:GetMetricData');
    if (isRetryable(mapped)) throw mapped;
    return { results, callFailure: mapped instanceof Error ? mapped.message : String(mapped) };
  }
  if (nextToken) return { results, callFailure: `cloudwatch:GetMetricData: still more data after ${MAX_PAGES} pages` };
  for (const s of list) {
    const status = lastStatus.get(s.id);
    const entry = results.get(s.id)!;
    if (!status) entry.failure = 'no result came back for this query';
    else if (status.status !== 'Complete') entry.failure = `status ${status.status}${status.message ? ` (${status.message})` : ''}`;
  }
  return { results, callFailure: undefined };
}

function versionMinute(prefix: 's' | 'c', minute: number, results: Map<string, SeriesResult>, customIds: string[]): VersionMinute | null {
  const inv = results.get(`${prefix}_inv`)!;
  const err = results.get(`${prefix}_err`)!;
  // Without invocations or errors a minute cannot be judged: a failed query counts as no figures.
  if (inv.failure || err.failure) return null;
  const invocations = inv.points.get(minute);
  if (invocations === undefined) return null;
  const figure = (id: string): number | undefined => {
    const result = results.get(id);
    return result && !result.failure ? result.points.get(minute) : undefined;
  };
  const out: VersionMinute = { invocations, errors: err.points.get(minute) ?? 0, throttles: figure(`${prefix}_thr`) ?? 0 };
  const p99 = figure(`${prefix}_p99`);
  if (p99 !== undefined) out.p99Ms = p99;
  for (const [id, field] of [['slow', 'slow'], ['med', 'overMedian'], ['avg', 'averageMs']] as const) {
    const value = figure(`${prefix}_${id}`);
    if (value !== undefined) out[field] = value;
  }
  const custom: Record<string, number> = {};
  for (const id of customIds) {
    const value = figure(`${prefix}_x_${id}`);
    if (value !== undefined) custom[id] = value;
  }
  if (Object.keys(custom).length > 0) out.custom = custom;
  return out;
}

/**
 * A queue minute: null when a queue query failed or the minute has no datapoint at all (SQS stops
 * publishing for queues idle for hours); otherwise a missing count is 0.
 */
function queueMinute(minute: number, results: Map<string, SeriesResult>): QueueMinute | null {
  const ids = ['q_sent', 'q_recv', 'q_del', 'q_vis', 'q_age', 'q_inflight', 'q_dlq'].filter((id) => results.has(id));
  if (ids.some((id) => results.get(id)!.failure)) return null;
  if (ids.every((id) => !results.get(id)!.points.has(minute))) return null;
  const value = (id: string) => results.get(id)?.points.get(minute) ?? 0;
  return {
    sent: value('q_sent'),
    received: value('q_recv'),
    deleted: value('q_del'),
    visible: value('q_vis'),
    ageOfOldestSeconds: value('q_age'),
    notVisible: value('q_inflight'),
    dlqVisible: value('q_dlq'),
  };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function failuresOf(list: Series[], results: Map<string, SeriesResult>): MeasurementFailure[] {
  return list.flatMap((s) => {
    const failure = results.get(s.id)?.failure;
    return failure ? [{ metric: s.label, message: failure }] : [];
  });
}

/**
 * @example
 * const metrics = cloudWatchMetrics(new CloudWatchClient({}));
 * const window = await metrics.versionMinutes({ functionName: 'checkout', alias: 'live', stableVersion: '12',
 *   candidateVersion: '13', start: '2026-01-01T10:00:00Z', end: '2026-01-01T10:05:00Z' });
 */
export function cloudWatchMetrics(client: CloudWatchClient): MetricsSource {
  return { versionMinutes: cloudWatchVersionMinutes(client), baseline: cloudWatchBaseline(client) };
}

/** Both versions' settled minutes (what Evaluate reads; it bundles only this half). */
export function cloudWatchVersionMinutes(client: CloudWatchClient): MetricsSource['versionMinutes'] {
  return async (query): Promise<MetricsWindow> => {
    const { startMs, endMs, minutes } = minuteRange(query.start, query.end);
    if (minutes.length === 0) return { minutes: [], failures: [] };
    const list = [
      ...versionSeries('s', 'stable', query, query.stableVersion),
      ...versionSeries('c', 'candidate', query, query.candidateVersion),
      ...(query.queue ? queueSeries(query.queue) : []),
      ...(query.queue?.mappingId ? mappingSeries(query.queue.mappingId) : []),
    ];
    const { results, callFailure } = await fetchSeries(client, list, startMs, endMs);
    if (callFailure) return { minutes: [], failures: [{ metric: 'GetMetricData', message: callFailure }] };

    const customIds = (query.customMetrics ?? []).map((c) => c.id);
    const observations = minutes.map((minute): MinuteObservation => {
      const observation: MinuteObservation = {
        minute: new Date(minute).toISOString(),
        stable: versionMinute('s', minute, results, customIds),
        candidate: versionMinute('c', minute, results, customIds),
      };
      if (query.queue) {
        const queue = queueMinute(minute, results);
        const mapping = queue && query.queue.mappingId ? mappingMinute(minute, results) : undefined;
        observation.queue = queue && mapping ? { ...queue, mapping } : queue;
      }
      return observation;
    });
    return { minutes: observations, failures: failuresOf(list, results) };
  };
}

/** The stable version's baseline before the first shift (what Plan reads). */
export function cloudWatchBaseline(client: CloudWatchClient): MetricsSource['baseline'] {
  return async (query): Promise<Baseline> => {
    const { startMs, endMs, minutes } = minuteRange(query.start, query.end);
    if (minutes.length === 0) return { minutes: 0, invocations: 0, errors: 0 };
    const dims = aliasVersionDimensions(query.functionName, query.alias, query.version);
    const windowSeconds = (endMs - startMs) / 1000;
    const list = [
      series('b_inv', 'stable Invocations', 'AWS/Lambda', 'Invocations', dims, 'Sum'),
      series('b_err', 'stable Errors', 'AWS/Lambda', 'Errors', dims, 'Sum'),
      // One datapoint over the whole window: a percentile of the window, not a mean of minute percentiles.
      series('b_lat', `stable Duration p${query.percentile}`, 'AWS/Lambda', 'Duration', dims, `p${statNumber(query.percentile)}`, windowSeconds),
      series('b_p50', 'stable Duration p50', 'AWS/Lambda', 'Duration', dims, 'p50', windowSeconds),
      ...(query.queue ? queueSeries(query.queue) : []),
    ];
    const { results, callFailure } = await fetchSeries(client, list, startMs, endMs);
    // Plan cannot go on without a baseline, and Baseline has no place for a failure: say why and stop.
    const failures = callFailure ? [{ metric: 'GetMetricData', message: callFailure }] : failuresOf(list, results);
    if (failures.length > 0) {
      const message = `cloudwatch:GetMetricData: baseline of ${query.functionName}:${query.alias} version ${query.version} could not be read: ${failures.map((f) => `${f.metric}: ${f.message}`).join('; ')}`;
      throw /AccessDenied|Forbidden/.test(message) ? new AccessDeniedError(message) : new TransientServiceError(message);
    }
    const inv = results.get('b_inv')!.points;
    const err = results.get('b_err')!.points;
    const sum = (points: Map<number, number>) => [...points.values()].reduce((a, b) => a + b, 0);
    const latency = [...results.get('b_lat')!.points.values()][0];
    const baseline: Baseline = { minutes: inv.size, invocations: sum(inv), errors: sum(err) };
    // A minute with no datapoint had no traffic: bursty traffic's quiet rate, for the forecast.
    if (inv.size > 0) baseline.medianInvocationsPerMinute = medianOf(minutes.map((minute) => inv.get(minute) ?? 0));
    if (latency !== undefined) baseline.latencyThresholdMs = latency;
    const median = [...results.get('b_p50')!.points.values()][0];
    if (median !== undefined) baseline.medianMs = median;
    if (query.queue) {
      baseline.queue = minutes.flatMap((minute) => {
        const q = queueMinute(minute, results);
        return q ? [q] : [];
      });
    }
    return baseline;
  };
}

const NAMES_PER_CALL = 100;
/** Alarm pages are bounded so that a misbehaving token can never loop forever. */
const MAX_ALARM_PAGES = 100;

/**
 * CloudWatch alarms as an AlarmReader: the release gates. DescribeAlarms returns only metric alarms
 * unless asked for composite ones too, so both types are asked for; it takes at most 100 names a
 * call, and pages with NextToken.
 */
export function cloudWatchAlarms(client: CloudWatchClient): AlarmReader {
  return {
    async states(names) {
      const states: Record<string, AlarmState> = {};
      for (let start = 0; start < names.length; start += NAMES_PER_CALL) {
        const AlarmNames = names.slice(start, start + NAMES_PER_CALL);
        let NextToken: string | undefined;
        for (let page = 0; page < MAX_ALARM_PAGES; page++) {
          const out = await callAws('cloudwatch:DescribeAlarms', () =>
            client.send(new DescribeAlarmsCommand({ AlarmNames, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken })),
          );
          for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
            if (alarm.AlarmName && alarm.StateValue) states[alarm.AlarmName] = alarm.StateValue as AlarmState;
          }
          NextToken = out.NextToken;
          if (!NextToken) break;
        }
      }
      return states;
    },
  };
}

/**
 * The alias' hourly traffic before a canary, for Plan: Invocations and Errors summed by hour over
 * [start, end), taken down to whole hours, with FunctionName + Resource (the alias, every version);
 * with `queue`, the queue's NumberOfMessagesReceived and NumberOfMessagesDeleted too, in the same
 * call. An hour with no datapoint had no traffic. A failed query is a failure, not an exception (the
 * history only adds to the baseline): a failed alias series leaves the alias' hours out, a failed
 * queue series the queue's. Throttling and 5xx are thrown, so the state machine retries Plan.
 *
 * @example
 * const metrics = { ...cloudWatchMetrics(client), history: cloudWatchHistory(client) };
 */
export function cloudWatchHistory(client: CloudWatchClient): NonNullable<MetricsSource['history']> {
  return async function history(query): Promise<TrafficHistory> {
    const startMs = Math.floor(Date.parse(query.start) / HOUR_MS) * HOUR_MS;
    const endMs = Math.floor(Date.parse(query.end) / HOUR_MS) * HOUR_MS;
    if (!(endMs > startMs)) return { hours: [], failures: [] };
    // The alias as a whole (every version it served): Lambda publishes FunctionName + Resource for alias invocations.
    const name = lambdaFunctionName(query.functionName);
    const dims = { FunctionName: name, Resource: `${name}:${query.alias}` };
    const aliasList = [
      series('h_inv', 'alias Invocations by hour', 'AWS/Lambda', 'Invocations', dims, 'Sum', 3600),
      series('h_err', 'alias Errors by hour', 'AWS/Lambda', 'Errors', dims, 'Sum', 3600),
    ];
    const queueDims = query.queue ? { QueueName: query.queue.queueName } : undefined;
    const queueList = queueDims
      ? [
          series('h_recv', `${queueDims.QueueName} NumberOfMessagesReceived by hour`, 'AWS/SQS', 'NumberOfMessagesReceived', queueDims, 'Sum', 3600),
          series('h_del', `${queueDims.QueueName} NumberOfMessagesDeleted by hour`, 'AWS/SQS', 'NumberOfMessagesDeleted', queueDims, 'Sum', 3600),
        ]
      : [];
    const { results, callFailure } = await fetchSeries(client, [...aliasList, ...queueList], startMs, endMs);
    if (callFailure) return { hours: [], failures: [{ metric: 'GetMetricData', message: callFailure }] };
    const aliasFailures = failuresOf(aliasList, results);
    const queueFailures = failuresOf(queueList, results);
    const hourStarts: number[] = [];
    for (let at = startMs; at < endMs; at += HOUR_MS) hourStarts.push(at);
    // An hour with no datapoint had no traffic (CloudWatch publishes nothing for idle functions and queues).
    const points = (id: string, at: number) => results.get(id)!.points.get(at) ?? 0;
    const hours: HourlyTraffic[] = aliasFailures.length > 0 ? [] : hourStarts.map((at) => ({ start: new Date(at).toISOString(), invocations: points('h_inv', at), errors: points('h_err', at) }));
    const queueHours: HourlyQueueTraffic[] | undefined =
      queueDims && queueFailures.length === 0 ? hourStarts.map((at) => ({ start: new Date(at).toISOString(), received: points('h_recv', at), deleted: points('h_del', at) })) : undefined;
    return { hours, ...(queueHours ? { queueHours } : {}), failures: [...aliasFailures, ...queueFailures] };
  };
}
