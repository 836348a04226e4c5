import { describe, expect, it } from 'vitest';
import { coldStartQueryString, nextColdStartQuery, withColdStarts } from '../../src/core/cold-start-query.ts';
import type { MinuteObservation } from '../../src/core/ports.ts';

const VERSIONS = { stableVersion: '12', candidateVersion: '13' };
const minute = (at: string): MinuteObservation => ({ minute: at, stable: { invocations: 540, errors: 2, throttles: 0 }, candidate: { invocations: 60, errors: 0, throttles: 0 } });
const row = (bin: string, version: string, coldStarts: number, initMs?: number) => [
  { Field: 'bin(1m)', Value: bin },
  { Field: 'version', Value: version },
  { Field: 'reports', Value: '60' },
  { Field: 'coldStarts', Value: String(coldStarts) },
  ...(initMs === undefined ? [] : [{ Field: 'initMs', Value: String(initMs) }]),
];

describe('the cold-start query', () => {
  it('counts REPORT lines with an init duration per minute and version, from the log stream name', () => {
    expect(coldStartQueryString('12', '13')).toBe(
      'filter @type = "REPORT" | parse @logStream /\\[(?<version>[0-9]+)\\]/ | filter version = "12" or version = "13" | stats count(*) as reports, count(@initDuration) as coldStarts, avg(@initDuration) as initMs by bin(1m), version',
    );
  });

  it('runs from where the last window ended, in epoch seconds, reaching a day past it', () => {
    const query = nextColdStartQuery('/aws/lambda/checkout', VERSIONS, new Date('2026-01-05T09:05:00.000Z'));

    expect(query).toMatchObject({ logGroupName: '/aws/lambda/checkout', startTime: 1767603900, endTime: 1767603900 + 86_400 });
  });

  it('adds each version’s cold starts and mean init duration to the minutes read', () => {
    const results = { Query: { Status: 'Complete', Results: [row('2026-01-05 09:05:00.000', '13', 2, 610.5), row('2026-01-05 09:05:00.000', '12', 3, 250), row('2026-01-05 09:07:00.000', '13', 1, 1)] } };

    const { minutes, failures } = withColdStarts([minute('2026-01-05T09:05:00.000Z'), minute('2026-01-05T09:06:00.000Z')], results, VERSIONS);

    expect(failures).toEqual([]);
    expect(minutes[0]!.candidate).toMatchObject({ coldStarts: 2, initMs: 610.5 });
    expect(minutes[0]!.stable).toMatchObject({ coldStarts: 3, initMs: 250 });
    // No row for a minute with invocations: no count, never a zero.
    expect(minutes[1]!.candidate!.coldStarts).toBeUndefined();
  });

  it('leaves out both versions\' cold starts in the minutes of a shift and the minute after it (the candidate scaling up)', () => {
    const results = { Query: { Status: 'Complete', Results: [row('2026-01-05 09:05:00.000', '13', 4, 600), row('2026-01-05 09:05:00.000', '12', 0, 0), row('2026-01-05 09:06:00.000', '13', 2, 600), row('2026-01-05 09:06:00.000', '12', 1, 250), row('2026-01-05 09:07:00.000', '13', 1, 600), row('2026-01-05 09:07:00.000', '12', 1, 250)] } };
    const shiftedAt = new Date('2026-01-05T09:05:30.000Z');

    const { minutes } = withColdStarts(['09:05', '09:06', '09:07'].map((hm) => minute(`2026-01-05T${hm}:00.000Z`)), results, VERSIONS, new Date(shiftedAt.getTime() + 60_000));

    expect(minutes.map((m) => [m.candidate!.coldStarts, m.stable!.coldStarts])).toEqual([[undefined, undefined], [undefined, undefined], [1, 1]]);
  });

  it('reads a zero with no init duration, in either case of keys', () => {
    const results = { Query: { Status: 'Complete', Results: [[{ field: 'bin(1m)', value: '2026-01-05 09:05:00.000' }, { field: 'version', value: '13' }, { field: 'coldStarts', value: '0' }]] } };

    const { minutes } = withColdStarts([minute('2026-01-05T09:05:00.000Z')], results, VERSIONS);

    expect(minutes[0]!.candidate).toEqual({ invocations: 60, errors: 0, throttles: 0, coldStarts: 0 });
  });

  it('turns a query that failed, did not run or had not finished into a measurement failure', () => {
    const read = [minute('2026-01-05T09:05:00.000Z')];

    expect(withColdStarts(read, { Error: 'CloudWatchLogs.AccessDeniedException', Cause: 'not authorized' }, VERSIONS).failures).toEqual([{ metric: 'coldStarts', message: 'CloudWatchLogs.AccessDeniedException: not authorized' }]);
    expect(withColdStarts(read, undefined, VERSIONS).failures).toEqual([{ metric: 'coldStarts', message: 'the cold-start query did not run' }]);
    expect(withColdStarts(read, { Query: { Status: 'Running', Results: [] } }, VERSIONS).failures).toEqual([{ metric: 'coldStarts', message: 'the Logs Insights query was still running after 5 polls' }]);
    expect(withColdStarts(read, { Query: { Status: 'Running' } }, VERSIONS).minutes).toBe(read);
  });
});
