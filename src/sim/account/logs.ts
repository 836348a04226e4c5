/**
 * The simulated account's CloudWatch Logs Insights, as Step Functions' AWS SDK integrations call it
 * (`startQuery`, `getQueryResults`, in their PascalCase): each version's REPORT lines per minute,
 * counted as the cold-start query (src/core/cold-start-query.ts) counts them. Cold starts are drawn
 * by the one rule the benchmark uses (`drawColdStarts`), so both meet the same counts.
 */
import { drawColdStarts } from '../minute-source.ts';
import type { FaultInjector } from '../faults.ts';
import { lambdaError } from './alias.ts';
import type { SimAccountSettings } from './settings.ts';
import type { Timeline } from './timeline.ts';

export interface SimLogs {
  startQuery(params: Record<string, unknown>): Promise<{ QueryId: string }>;
  getQueryResults(params: Record<string, unknown>): Promise<{ Status: string; Results: Array<Array<{ Field: string; Value: string }>> }>;
}

interface Query {
  startTime: number;
  endTime: number;
}

/** "2026-01-05T09:01:00.000Z" as Logs Insights prints a bin: "2026-01-05 09:01:00.000". */
const binOf = (iso: string): string => iso.replace('T', ' ').replace('Z', '');

export function createSimLogs(timeline: Timeline, faults: FaultInjector, settings: SimAccountSettings, seed: number): SimLogs {
  const queries = new Map<string, Query>();
  const logGroupName = `/aws/lambda/${settings.functionName}`;
  const error = (name: string, message: string) => lambdaError(`CloudWatchLogs.${name}`, message);

  return {
    startQuery: (params) =>
      faults.call('logs.startQuery', [params], () => {
        if (params['LogGroupName'] !== logGroupName) throw error('ResourceNotFoundException', `The specified log group does not exist: ${String(params['LogGroupName'])}`);
        const startTime = Number(params['StartTime']);
        const endTime = Number(params['EndTime']);
        if (!Number.isInteger(startTime) || !Number.isInteger(endTime) || endTime < startTime || typeof params['QueryString'] !== 'string') {
          throw error('InvalidParameterException', 'StartTime and EndTime must be epoch seconds, EndTime not before StartTime, with a QueryString');
        }
        const id = `query-${queries.size + 1}`;
        queries.set(id, { startTime, endTime });
        return { QueryId: id };
      }),
    getQueryResults: (params) =>
      faults.call('logs.getQueryResults', [params], () => {
        const query = queries.get(String(params['QueryId']));
        if (!query) throw error('ResourceNotFoundException', `No query with id ${String(params['QueryId'])}`);
        const end = Math.min(query.endTime * 1000, timeline.now());
        const rows: Array<Array<{ Field: string; Value: string }>> = [];
        for (const minute of timeline.minutesIn(new Date(query.startTime * 1000).toISOString(), new Date(end).toISOString())) {
          for (const [version, side] of [[settings.stableVersion, 'stable'], [settings.candidateVersion, 'candidate']] as const) {
            const figures = minute.versions[version];
            const truth = timeline.source.coldStarts?.(side, minute.minutesSinceShift);
            if (!figures || figures.invocations === 0 || !truth) continue;
            const { coldStarts, initMs } = drawColdStarts(seed, minute.index, side, figures.invocations, truth);
            rows.push([
              { Field: 'bin(1m)', Value: binOf(minute.minute) },
              { Field: 'version', Value: version },
              { Field: 'reports', Value: String(figures.invocations) },
              { Field: 'coldStarts', Value: String(coldStarts) },
              ...(initMs === undefined ? [] : [{ Field: 'initMs', Value: initMs.toFixed(3) }]),
            ]);
          }
        }
        return { Status: 'Complete', Results: rows };
      }),
  };
}
