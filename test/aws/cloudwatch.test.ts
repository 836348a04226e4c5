import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError, ThrottledError, TransientServiceError } from '../../src/core/errors.ts';
import type { VersionMetricsQuery } from '../../src/core/ports.ts';
import { cloudWatchAlarms, cloudWatchHistory, cloudWatchMetrics } from '../../src/aws/cloudwatch.ts';

const cwMock = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'eu-west-1' });

const t0 = Date.parse('2026-01-01T10:00:00.000Z');
const minute = (n: number) => new Date(t0 + n * 60_000);

const query: VersionMetricsQuery = {
  functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout',
  alias: 'live',
  stableVersion: '12',
  candidateVersion: '13',
  start: minute(0).toISOString(),
  end: minute(3).toISOString(),
};

function result(id: string, points: Record<number, number>, status: MetricDataResult['StatusCode'] = 'Complete'): MetricDataResult {
  const minutes = Object.keys(points).map(Number);
  return { Id: id, StatusCode: status, Timestamps: minutes.map(minute), Values: minutes.map((m) => points[m]!) };
}

function queriesSent(call = 0): MetricDataQuery[] {
  return cwMock.commandCalls(GetMetricDataCommand)[call]!.args[0].input.MetricDataQueries ?? [];
}

beforeEach(() => {
  cwMock.reset();
});

describe('cloudWatchMetrics.versionMinutes', () => {
  it('asks for each version on the alias with FunctionName, Resource and ExecutedVersion, per minute', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    await cloudWatchMetrics(client).versionMinutes({ ...query, slowThresholdMs: 412.5 });

    const input = cwMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(minute(0));
    expect(input.EndTime).toEqual(minute(3));
    const byId = Object.fromEntries(queriesSent().map((q) => [q.Id, q.MetricStat]));
    expect(byId['c_err']).toEqual({
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [
          { Name: 'FunctionName', Value: 'checkout' },
          { Name: 'Resource', Value: 'checkout:live' },
          { Name: 'ExecutedVersion', Value: '13' },
        ],
      },
      Period: 60,
      Stat: 'Sum',
    });
    expect(byId['s_inv']?.Metric?.Dimensions).toContainEqual({ Name: 'ExecutedVersion', Value: '12' });
    expect(byId['c_p99']?.Stat).toBe('p99');
    expect(byId['c_slow']?.Stat).toBe('TC(412.5:)');
    expect(byId['c_thr']?.Metric?.MetricName).toBe('Throttles');
  });

  it('counts each version over its own median threshold and reads its mean duration, for the cost check', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('s_inv', { 0: 100 }),
        result('s_err', { 0: 0 }),
        result('s_med', { 0: 51 }),
        result('s_avg', { 0: 101.5 }),
        result('c_inv', { 0: 10 }),
        result('c_err', { 0: 0 }),
        result('c_med', { 0: 9 }),
        result('c_avg', { 0: 173.2 }),
      ],
    });

    const window = await cloudWatchMetrics(client).versionMinutes({ ...query, end: minute(1).toISOString(), medianThresholdsMs: { stable: 80, candidate: 100 } });

    const byId = Object.fromEntries(queriesSent().map((q) => [q.Id, q.MetricStat]));
    expect(byId['s_med']?.Stat).toBe('TC(80:)');
    expect(byId['c_med']?.Stat).toBe('TC(100:)');
    expect(byId['c_avg']?.Stat).toBe('Average');
    expect(byId['c_med']?.Metric?.Dimensions).toContainEqual({ Name: 'ExecutedVersion', Value: '13' });
    expect(window.minutes[0]!.stable).toMatchObject({ overMedian: 51, averageMs: 101.5 });
    expect(window.minutes[0]!.candidate).toMatchObject({ overMedian: 9, averageMs: 173.2 });
  });

  it('gives each minute both versions’ figures, and null for a version with no datapoint', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('s_inv', { 0: 100, 1: 90, 2: 80 }),
        result('s_err', { 0: 1, 1: 0 }),
        result('s_thr', {}),
        result('s_p99', { 0: 300 }),
        result('c_inv', { 0: 10, 2: 12 }),
        result('c_err', { 0: 2, 2: 0 }),
        result('c_thr', { 0: 1 }),
        result('c_p99', { 2: 450 }),
      ],
    });

    const window = await cloudWatchMetrics(client).versionMinutes(query);

    expect(window.failures).toEqual([]);
    expect(window.minutes).toEqual([
      { minute: minute(0).toISOString(), stable: { invocations: 100, errors: 1, throttles: 0, p99Ms: 300 }, candidate: { invocations: 10, errors: 2, throttles: 1 } },
      { minute: minute(1).toISOString(), stable: { invocations: 90, errors: 0, throttles: 0 }, candidate: null },
      { minute: minute(2).toISOString(), stable: { invocations: 80, errors: 0, throttles: 0 }, candidate: { invocations: 12, errors: 0, throttles: 0, p99Ms: 450 } },
    ]);
  });

  it('follows NextToken and joins the pages of each series', async () => {
    cwMock
      .on(GetMetricDataCommand, { NextToken: undefined })
      .resolves({ MetricDataResults: [result('s_inv', { 0: 5 }, 'PartialData'), result('s_err', { 0: 0 }, 'PartialData')], NextToken: 'more' })
      .on(GetMetricDataCommand, { NextToken: 'more' })
      .resolves({ MetricDataResults: [result('s_inv', { 1: 6 }), result('s_err', { 1: 1 }), result('c_inv', {}), result('c_err', {}), result('s_thr', {}), result('c_thr', {}), result('s_p99', {}), result('c_p99', {})] });

    const window = await cloudWatchMetrics(client).versionMinutes({ ...query, end: minute(2).toISOString() });

    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    expect(window.failures).toEqual([]);
    expect(window.minutes.map((m) => m.stable?.invocations)).toEqual([5, 6]);
  });

  it('turns a query left Forbidden or PartialData into a measurement failure and drops its figures', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('s_inv', { 0: 100 }),
        result('s_err', { 0: 1 }),
        result('c_inv', { 0: 10 }),
        { Id: 'c_err', StatusCode: 'Forbidden', Timestamps: [], Values: [], Messages: [{ Code: 'Forbidden', Value: 'not authorized' }] },
        result('s_thr', {}),
        result('c_thr', {}),
        result('s_p99', { 0: 200 }),
        result('c_p99', { 0: 999 }, 'PartialData'),
      ],
    });

    const window = await cloudWatchMetrics(client).versionMinutes({ ...query, end: minute(1).toISOString() });

    expect(window.failures).toEqual([
      { metric: 'candidate Errors', message: 'status Forbidden (Forbidden: not authorized)' },
      { metric: 'candidate Duration p99', message: 'status PartialData' },
    ]);
    expect(window.minutes[0]!.candidate).toBeNull();
    expect(window.minutes[0]!.stable).toEqual({ invocations: 100, errors: 1, throttles: 0, p99Ms: 200 });
  });

  it('turns a refused call into a measurement failure instead of throwing', async () => {
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    const window = await cloudWatchMetrics(client).versionMinutes(query);

    expect(window.minutes).toEqual([]);
    expect(window.failures).toHaveLength(1);
    expect(window.failures[0]!.metric).toBe('GetMetricData');
    expect(window.failures[0]!.message).toContain('AccessDenied');
  });

  it('throws ThrottledError when CloudWatch throttles, so the state machine retries the look', async () => {
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    await expect(cloudWatchMetrics(client).versionMinutes(query)).rejects.toBeInstanceOf(ThrottledError);
  });

  it('throws TransientServiceError on a 5xx', async () => {
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('oops'), { name: 'InternalServiceFault', $fault: 'server', $metadata: { httpStatusCode: 500 } }));

    await expect(cloudWatchMetrics(client).versionMinutes(query)).rejects.toBeInstanceOf(TransientServiceError);
  });

  it('reads custom metrics with the version in their version dimension', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [result('s_inv', { 0: 50 }), result('s_err', { 0: 0 }), result('s_x_checkout_failures', { 0: 3 })],
    });

    const window = await cloudWatchMetrics(client).versionMinutes({
      ...query,
      end: minute(1).toISOString(),
      customMetrics: [{ id: 'checkout_failures', namespace: 'Shop', metricName: 'CheckoutFailed', dimensions: { Service: 'checkout' }, versionDimension: 'Version', stat: 'Sum' }],
    });

    const custom = queriesSent().find((q) => q.Id === 'c_x_checkout_failures')!.MetricStat!;
    expect(custom.Metric).toEqual({ Namespace: 'Shop', MetricName: 'CheckoutFailed', Dimensions: [{ Name: 'Service', Value: 'checkout' }, { Name: 'Version', Value: '13' }] });
    expect(window.minutes[0]!.stable?.custom).toEqual({ checkout_failures: 3 });
  });

  it('reads the queue-wide SQS metrics and the DLQ depth when a queue is given', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('q_sent', { 0: 600 }),
        result('q_recv', { 0: 610 }),
        result('q_del', { 0: 590 }),
        result('q_vis', { 0: 12 }),
        result('q_age', { 0: 4 }),
        result('q_inflight', { 0: 30 }),
        result('q_dlq', { 0: 2 }),
      ],
    });

    const window = await cloudWatchMetrics(client).versionMinutes({ ...query, end: minute(2).toISOString(), queue: { queueName: 'orders', dlqName: 'orders-dlq' } });

    const dlqQuery = queriesSent().find((q) => q.Id === 'q_dlq')!.MetricStat!;
    expect(dlqQuery.Metric).toEqual({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: 'orders-dlq' }] });
    expect(window.minutes[0]!.queue).toEqual({ sent: 600, received: 610, deleted: 590, visible: 12, ageOfOldestSeconds: 4, notVisible: 30, dlqVisible: 2 });
    expect(window.minutes[1]!.queue).toBeNull();
  });

  describe('with the event source mapping’s own counts', () => {
    const mappingId = 'a1b2c3d4-5678-90ab-cdef-11111example';
    // The versions' series are left out of these answers; their failures are not what is tested here.
    const queueAndMappingFailures = (failures: { metric: string }[]) => failures.filter((f) => !/^(stable|candidate) /.test(f.metric));
    const queueResults = [
      result('q_sent', { 0: 600, 1: 610 }),
      result('q_recv', { 0: 610, 1: 620 }),
      result('q_del', { 0: 590, 1: 600 }),
      result('q_vis', { 0: 12, 1: 10 }),
      result('q_age', { 0: 4, 1: 5 }),
      result('q_inflight', { 0: 30, 1: 30 }),
    ];

    it('asks AWS/Lambda for the SQS mapping’s five event counts by EventSourceMappingUUID, summed per minute', async () => {
      cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

      await cloudWatchMetrics(client).versionMinutes({ ...query, queue: { queueName: 'orders', mappingId } });

      const mappingQueries = queriesSent().filter((q) => q.Id?.startsWith('m_'));
      expect(mappingQueries.map((q) => [q.Id, q.MetricStat])).toEqual(
        [
          ['m_polled', 'PolledEventCount'],
          ['m_inv', 'InvokedEventCount'],
          ['m_failed', 'FailedInvokeEventCount'],
          ['m_del', 'DeletedEventCount'],
          ['m_filtered', 'FilteredOutEventCount'],
        ].map(([id, metricName]) => [id, { Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'EventSourceMappingUUID', Value: mappingId }] }, Period: 60, Stat: 'Sum' }]),
      );
    });

    it('asks for no mapping counts without a mapping id (MetricsConfig off)', async () => {
      cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

      await cloudWatchMetrics(client).versionMinutes({ ...query, queue: { queueName: 'orders' } });

      expect(queriesSent().filter((q) => q.MetricStat?.Metric?.Dimensions?.some((d) => d.Name === 'EventSourceMappingUUID'))).toEqual([]);
    });

    it('puts each minute’s counts on the queue minute, a missing count as 0, and none for a minute with no datapoint', async () => {
      cwMock.on(GetMetricDataCommand).resolves({
        MetricDataResults: [
          ...queueResults,
          result('m_polled', { 0: 605 }),
          result('m_inv', { 0: 600 }),
          result('m_failed', { 0: 7 }),
          result('m_del', { 0: 593 }),
          result('m_filtered', {}),
        ],
      });

      const window = await cloudWatchMetrics(client).versionMinutes({ ...query, end: minute(2).toISOString(), queue: { queueName: 'orders', mappingId } });

      expect(window.minutes[0]!.queue?.mapping).toEqual({ polled: 605, invoked: 600, failedInvoke: 7, deleted: 593, filteredOut: 0 });
      expect(window.minutes[1]!.queue).toEqual({ sent: 610, received: 620, deleted: 600, visible: 10, ageOfOldestSeconds: 5, notVisible: 30, dlqVisible: 0 });
      expect(queueAndMappingFailures(window.failures)).toEqual([]);
    });

    it('turns a failed mapping query into a measurement failure named after the mapping, and keeps the queue’s figures', async () => {
      cwMock.on(GetMetricDataCommand).resolves({
        MetricDataResults: [
          ...queueResults,
          result('m_polled', { 0: 605 }),
          result('m_inv', { 0: 600 }),
          result('m_failed', { 0: 7 }, 'PartialData'),
          result('m_del', { 0: 593 }),
          result('m_filtered', {}),
        ],
      });

      const window = await cloudWatchMetrics(client).versionMinutes({ ...query, end: minute(1).toISOString(), queue: { queueName: 'orders', mappingId } });

      expect(queueAndMappingFailures(window.failures)).toEqual([{ metric: `event source mapping ${mappingId} FailedInvokeEventCount`, message: 'status PartialData' }]);
      expect(window.minutes[0]!.queue).toEqual({ sent: 600, received: 610, deleted: 590, visible: 12, ageOfOldestSeconds: 4, notVisible: 30, dlqVisible: 0 });
    });
  });

  it('asks nothing for a window with no whole minute', async () => {
    const window = await cloudWatchMetrics(client).versionMinutes({ ...query, end: new Date(t0 + 59_000).toISOString() });

    expect(window).toEqual({ minutes: [], failures: [] });
    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });
});

describe('cloudWatchMetrics.baseline', () => {
  const baselineQuery = { functionName: 'checkout', alias: 'live', version: '12', start: minute(0).toISOString(), end: minute(15).toISOString(), percentile: 99.9 };

  it('sums the stable version’s minutes and reads its percentile and median over the whole window', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [result('b_inv', { 0: 100, 1: 120, 5: 80 }), result('b_err', { 0: 1, 5: 2 }), result('b_lat', { 0: 512 }), result('b_p50', { 0: 81.5 })],
    });

    const baseline = await cloudWatchMetrics(client).baseline(baselineQuery);

    // A minute with no datapoint had no traffic: the median minute of this sparse window is 0.
    expect(baseline).toEqual({ minutes: 3, invocations: 300, errors: 3, medianInvocationsPerMinute: 0, latencyThresholdMs: 512, medianMs: 81.5 });
    const median = queriesSent().find((q) => q.Id === 'b_p50')!.MetricStat!;
    expect(median.Stat).toBe('p50');
    expect(median.Period).toBe(15 * 60);
    const latency = queriesSent().find((q) => q.Id === 'b_lat')!.MetricStat!;
    expect(latency.Stat).toBe('p99.9');
    expect(latency.Period).toBe(15 * 60);
  });

  it('throws AccessDeniedError when the baseline is forbidden, since Plan cannot go on without it', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'b_inv', StatusCode: 'Forbidden' }, result('b_err', {}), result('b_lat', {})],
    });

    await expect(cloudWatchMetrics(client).baseline(baselineQuery)).rejects.toBeInstanceOf(AccessDeniedError);
  });
});

describe('cloudWatchAlarms', () => {
  it('asks for metric and composite alarms by name, 100 names a call, across pages, and gives each one\'s state', async () => {
    const names = Array.from({ length: 101 }, (_, index) => `alarm-${index}`);
    cwMock
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'alarm-0', StateValue: 'ALARM' }], NextToken: 'page-2' })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'alarm-1', StateValue: 'OK' }] })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'alarm-100', StateValue: 'INSUFFICIENT_DATA' }] });

    const states = await cloudWatchAlarms(client).states(names);

    expect(states).toEqual({ 'alarm-0': 'ALARM', 'alarm-1': 'OK', 'alarm-100': 'INSUFFICIENT_DATA' });
    const calls = cwMock.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.AlarmNames?.length, input.NextToken])).toEqual([[100, undefined], [100, 'page-2'], [1, undefined]]);
    expect(calls[0]!.AlarmTypes).toEqual(['MetricAlarm', 'CompositeAlarm']);
  });

  it('names a throttle as ThrottledError', async () => {
    cwMock.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    await expect(cloudWatchAlarms(client).states(['a'])).rejects.toThrow(ThrottledError);
  });
});

describe('cloudWatchHistory', () => {
  const hour = (n: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + n * 3600_000);
  const historyQuery = { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout', alias: 'live', start: hour(0).toISOString(), end: hour(24).toISOString() };
  const hourly = (id: string, points: Record<number, number>): MetricDataResult => {
    const hours = Object.keys(points).map(Number);
    return { Id: id, StatusCode: 'Complete', Timestamps: hours.map(hour), Values: hours.map((h) => points[h]!) };
  };

  it('sums the alias’ Invocations and Errors by hour, with FunctionName and Resource (all versions)', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [hourly('h_inv', { 0: 1200, 23: 900 }), hourly('h_err', { 23: 4 })] });

    const history = await cloudWatchHistory(client)(historyQuery);

    expect(history.failures).toEqual([]);
    expect(history.hours).toHaveLength(24);
    expect(history.hours[0]).toEqual({ start: hour(0).toISOString(), invocations: 1200, errors: 0 });
    expect(history.hours[5]).toEqual({ start: hour(5).toISOString(), invocations: 0, errors: 0 });
    expect(history.hours[23]).toEqual({ start: hour(23).toISOString(), invocations: 900, errors: 4 });
    const input = cwMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(hour(0));
    expect(input.EndTime).toEqual(hour(24));
    expect(queriesSent().find((q) => q.Id === 'h_err')!.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: 'checkout' }, { Name: 'Resource', Value: 'checkout:live' }] },
      Period: 3600,
      Stat: 'Sum',
    });
  });

  it('takes the hours down to whole hours', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [hourly('h_inv', {}), hourly('h_err', {})] });

    const history = await cloudWatchHistory(client)({ ...historyQuery, start: new Date(hour(0).getTime() + 17 * 60_000).toISOString(), end: new Date(hour(3).getTime() + 45 * 60_000).toISOString() });

    expect(history.hours.map((h) => h.start)).toEqual([hour(0), hour(1), hour(2)].map((h) => h.toISOString()));
  });

  it('returns a failure, not an exception, when the history cannot be read: the baseline still plans', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'h_inv', StatusCode: 'Forbidden' }, hourly('h_err', {})] });

    const history = await cloudWatchHistory(client)(historyQuery);

    expect(history.hours).toEqual([]);
    expect(history.failures).toEqual([{ metric: 'alias Invocations by hour', message: 'status Forbidden' }]);
  });

  it('sums the queue’s messages received and deleted by hour in the same call when a queue is named', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [hourly('h_inv', { 0: 300 }), hourly('h_err', {}), hourly('h_recv', { 0: 310, 23: 290 }), hourly('h_del', { 0: 300, 23: 289 })],
    });

    const history = await cloudWatchHistory(client)({ ...historyQuery, queue: { queueName: 'orders' } });

    expect(history.failures).toEqual([]);
    expect(history.queueHours).toHaveLength(24);
    expect(history.queueHours![0]).toEqual({ start: hour(0).toISOString(), received: 310, deleted: 300 });
    expect(history.queueHours![5]).toEqual({ start: hour(5).toISOString(), received: 0, deleted: 0 });
    expect(history.queueHours![23]).toEqual({ start: hour(23).toISOString(), received: 290, deleted: 289 });
    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    expect(queriesSent().find((q) => q.Id === 'h_recv')!.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesReceived', Dimensions: [{ Name: 'QueueName', Value: 'orders' }] },
      Period: 3600,
      Stat: 'Sum',
    });
  });

  it('keeps the alias’ hours when only the queue’s cannot be read, and says so', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [hourly('h_inv', { 0: 300 }), hourly('h_err', {}), { Id: 'h_recv', StatusCode: 'Forbidden' }, hourly('h_del', {})] });

    const history = await cloudWatchHistory(client)({ ...historyQuery, queue: { queueName: 'orders' } });

    expect(history.hours).toHaveLength(24);
    expect(history.queueHours).toBeUndefined();
    expect(history.failures).toEqual([{ metric: 'orders NumberOfMessagesReceived by hour', message: 'status Forbidden' }]);
  });

  it('reads no queue series when no queue is named', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [hourly('h_inv', {}), hourly('h_err', {})] });

    const history = await cloudWatchHistory(client)(historyQuery);

    expect(history.queueHours).toBeUndefined();
    expect(queriesSent().map((q) => q.Id)).toEqual(['h_inv', 'h_err']);
  });

  it('still throws ThrottledError, so the state machine retries Plan', async () => {
    cwMock.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    await expect(cloudWatchHistory(client)(historyQuery)).rejects.toBeInstanceOf(ThrottledError);
  });
});
