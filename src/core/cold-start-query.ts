/**
 * Reading each version's cold starts from the function's log group with CloudWatch Logs Insights.
 * Lambda writes one REPORT line per invocation, with `Init Duration` on a cold start's (Logs Insights
 * discovers it as `@initDuration`), into log streams named `YYYY/MM/DD/[VERSION]environment-id`.
 *
 * Logs Insights is asynchronous (StartQuery, then GetQueryResults, seconds apart): polled from
 * Evaluate it would keep that Lambda running for them at every look, so the state machine runs the
 * query itself (Step Functions' AWS SDK integrations, statemachine/canary.asl.json; its Wait costs
 * nothing) between Bake and Evaluate, and Evaluate reads the results here. Each look's query starts where the last look's window ended (Evaluate writes it into
 * `progress.coldStartQuery`) and ends well after now, so it covers the next window however long the
 * bake; Evaluate keeps only the minutes it judges. A query that failed or had not finished is a
 * measurement failure: the data check holds that look, and its minutes are left out of the test.
 */
import type { MeasurementFailure, MinuteObservation } from './ports.ts';
import { iso } from './time.ts';

/** Query statistics per (minute, version): REPORT lines, those with an init duration, and their mean init duration. */
export function coldStartQueryString(stableVersion: string, candidateVersion: string): string {
  return [
    'filter @type = "REPORT"',
    'parse @logStream /\\[(?<version>[0-9]+)\\]/',
    `filter version = "${stableVersion}" or version = "${candidateVersion}"`,
    'stats count(*) as reports, count(@initDuration) as coldStarts, avg(@initDuration) as initMs by bin(1m), version',
  ].join(' | ');
}

/** How far past the window's start a look's query reaches: longer than any bake between two looks. */
const QUERY_SPAN_SECONDS = 24 * 60 * 60;

export interface ColdStartQuery {
  logGroupName: string;
  queryString: string;
  /** Epoch seconds (StartQuery's unit). */
  startTime: number;
  endTime: number;
}

/** The query the next look runs: from the end of the window just judged. */
export function nextColdStartQuery(logGroupName: string, versions: { stableVersion: string; candidateVersion: string }, from: Date): ColdStartQuery {
  const startTime = Math.floor(from.getTime() / 1000);
  return { logGroupName, queryString: coldStartQueryString(versions.stableVersion, versions.candidateVersion), startTime, endTime: startTime + QUERY_SPAN_SECONDS };
}

/** What the state machine hands over: the query's id, how often it polled, GetQueryResults' status and rows; or the error it caught. */
export type ColdStartResults = { Query?: { Status?: string; Results?: unknown[] }; Error?: string; Cause?: string } | undefined;

interface Counts {
  coldStarts: number;
  initMs?: number;
}

/** Logs Insights' bin timestamps ("2026-01-05 09:01:00.000", UTC) as ISO minute starts. */
function minuteOf(value: string): string | undefined {
  const at = Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number.isFinite(at) ? iso(new Date(at)) : undefined;
}

function rowFields(row: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const cell of Array.isArray(row) ? row : []) {
    const field = (cell as { Field?: unknown; field?: unknown })?.Field ?? (cell as { field?: unknown })?.field;
    const value = (cell as { Value?: unknown; value?: unknown })?.Value ?? (cell as { value?: unknown })?.value;
    if (typeof field === 'string' && typeof value === 'string') fields[field] = value;
  }
  return fields;
}

/**
 * Adds each version's cold starts to the minutes read, from the query's results. A version-minute
 * with invocations and no row keeps no count (left out, never read as no cold starts); a failed or
 * unfinished query adds a measurement failure.
 *
 * The minutes that start before `scaleUpUntil` (the step's shift and the minute after it) keep no
 * count for either version: a shift gives the candidate new execution environments, each a cold
 * start stable does not pay, and those say nothing about the candidate's own cold-start rate.
 */
export function withColdStarts(
  minutes: MinuteObservation[],
  results: ColdStartResults,
  versions: { stableVersion: string; candidateVersion: string },
  scaleUpUntil?: Date,
): { minutes: MinuteObservation[]; failures: MeasurementFailure[] } {
  if (results === undefined) return { minutes, failures: [{ metric: 'coldStarts', message: 'the cold-start query did not run' }] };
  if (results.Error !== undefined) return { minutes, failures: [{ metric: 'coldStarts', message: `${results.Error}${results.Cause ? `: ${results.Cause.slice(0, 200)}` : ''}` }] };
  const status = results.Query?.Status;
  if (status !== 'Complete') {
    const message = status === 'Running' || status === 'Scheduled' ? 'the Logs Insights query was still running after 5 polls' : `the Logs Insights query ended ${String(status ?? 'without results').toLowerCase()}`;
    return { minutes, failures: [{ metric: 'coldStarts', message }] };
  }
  const counts = new Map<string, Counts>();
  for (const row of results.Query?.Results ?? []) {
    const fields = rowFields(row);
    const minute = minuteOf(fields['bin(1m)'] ?? '');
    const coldStarts = Number(fields['coldStarts']);
    if (minute === undefined || fields['version'] === undefined || !Number.isFinite(coldStarts)) continue;
    const initMs = Number(fields['initMs']);
    counts.set(`${minute} ${fields['version']}`, { coldStarts, ...(coldStarts > 0 && Number.isFinite(initMs) ? { initMs } : {}) });
  }
  const add = (minute: string, version: string, figures: MinuteObservation['stable']) => {
    if (!figures || (scaleUpUntil !== undefined && new Date(minute) < scaleUpUntil)) return figures;
    const found = counts.get(`${minute} ${version}`);
    return found ? { ...figures, ...found } : figures;
  };
  return {
    minutes: minutes.map((observation) => ({
      ...observation,
      stable: add(observation.minute, versions.stableVersion, observation.stable),
      candidate: add(observation.minute, versions.candidateVersion, observation.candidate),
    })),
    failures: [],
  };
}
