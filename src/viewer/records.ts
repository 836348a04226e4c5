/**
 * The one place the viewer reads execution records (`.coalmine/executions/*.json`, written by the
 * local runner; format in src/local/record.ts). Everything else in the viewer works on what this
 * module returns, so a change of format is absorbed here.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReleaseResult, ReleaseTargetResult, WaveOutcome } from '../local/release.ts';
import * as z from 'zod';
import { ENDINGS, ROLLBACK_KINDS, type Ending, type RollbackKind } from '../core/state.ts';
import type { ExecutionRecord } from '../local/record.ts';

/** Where `coalmine run --local` writes its records, relative to the working directory. */
export const RECORDS_DIR = '.coalmine/executions';

/** A record's id is its file name without `.json`: unique even when one execution ran twice. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** The fields the viewer relies on; anything else in a record is passed through untouched. */
const recordSchema = z.looseObject({
  name: z.string(),
  scenario: z.looseObject({ name: z.string(), description: z.string().default(''), expect: z.enum(['promote', 'rollback']).optional() }),
  seed: z.number(),
  request: z.unknown(),
  startedAt: z.string(),
  finishedAt: z.string(),
  recordedAt: z.string().optional(),
  result: z.looseObject({
    outcome: z.enum(ENDINGS),
    rollbackKind: z.enum(ROLLBACK_KINDS).nullable().optional(),
    restoredAfterPromotion: z.boolean().optional(),
    reason: z.string(),
    steps: z.array(z.looseObject({ weight: z.number(), minute: z.number(), decision: z.string(), reasons: z.array(z.string()) })).default([]),
    alias: z.looseObject({ version: z.string(), routing: z.record(z.string(), z.number()) }).optional(),
    excessFailures: z.number().optional(),
    minutesToDecision: z.number().nullable().optional(),
    errorName: z.string().optional(),
  }),
  definition: z.unknown(),
  events: z.array(z.looseObject({ at: z.string(), type: z.string(), state: z.string().optional() })).default([]),
  series: z.array(z.looseObject({ minute: z.string(), weight: z.number() })).default([]),
});

/** A record as the viewer holds it: the file's contents and its id. */
export type ViewerRecord = ExecutionRecord & { id: string };

/** One row of the list. */
export interface RecordSummary {
  id: string;
  name: string;
  scenario: string;
  description: string;
  expect?: 'promote' | 'rollback';
  seed: number;
  outcome: Ending;
  /** Why it was rolled back; null when it was not (or the record predates the field). */
  rollbackKind: RollbackKind | null;
  /** True when the candidate was promoted, then restored after a regression found after promotion. */
  restoredAfterPromotion: boolean;
  reason: string;
  /** Simulated minutes from the start of the execution to its end. */
  durationMinutes: number;
  minutesToDecision: number | null;
  excessFailures: number | null;
  startedAt: string;
  recordedAt: string | null;
  functionName: string | null;
  alias: string | null;
  candidateVersion: string | null;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface RecordListing {
  executions: RecordSummary[];
  /** Files in the folder that are not readable records, and why (so nothing vanishes silently). */
  skipped: SkippedFile[];
}

function requestField(request: unknown, field: string): string | null {
  if (typeof request !== 'object' || request === null) return null;
  const value = (request as Record<string, unknown>)[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

export function summarise(record: ViewerRecord): RecordSummary {
  return {
    id: record.id,
    name: record.name,
    scenario: record.scenario.name,
    description: record.scenario.description,
    ...(record.scenario.expect ? { expect: record.scenario.expect } : {}),
    seed: record.seed,
    outcome: record.result.outcome,
    rollbackKind: record.result.rollbackKind ?? null,
    restoredAfterPromotion: record.result.restoredAfterPromotion === true,
    reason: record.result.reason,
    durationMinutes: Math.max(0, Math.round((Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 60_000)),
    minutesToDecision: record.result.minutesToDecision ?? null,
    excessFailures: record.result.excessFailures ?? null,
    startedAt: record.startedAt,
    recordedAt: record.recordedAt ?? null,
    functionName: requestField(record.request, 'functionName'),
    alias: requestField(record.request, 'alias'),
    candidateVersion: requestField(record.request, 'candidateVersion'),
  };
}

function parseRecord(id: string, text: string): ViewerRecord {
  const parsed = recordSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || 'record'}: ${issue.message}`);
  }
  return { ...(parsed.data as unknown as ExecutionRecord), id };
}

/** The id of a record file, or undefined for files that are not records. */
export function idOf(file: string): string | undefined {
  if (!file.endsWith('.json')) return undefined;
  const id = file.slice(0, -'.json'.length);
  return ID.test(id) ? id : undefined;
}

/**
 * What the list needs of each file, kept by path with the file's size and modification time: a
 * list reads only the records that changed since it last looked, not every record every time
 * (a folder of runs weighs tens of megabytes; the list page polls).
 */
const summaries = new Map<string, { mtime: number; size: number; summary: RecordSummary }>();
const SUMMARIES_KEPT = 5000;

/** Every record in `dir`, newest recorded first. A missing folder is an empty list. */
export async function listRecords(dir: string): Promise<RecordListing> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { executions: [], skipped: [] };
    throw error;
  }
  const executions: { summary: RecordSummary; mtime: number }[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of files.sort()) {
    const id = idOf(file);
    if (!id) continue;
    try {
      const path = join(dir, file);
      const info = await stat(path);
      const known = summaries.get(path);
      if (known && known.mtime === info.mtimeMs && known.size === info.size) {
        executions.push({ summary: known.summary, mtime: info.mtimeMs });
        continue;
      }
      const summary = summarise(parseRecord(id, await readFile(path, 'utf8')));
      if (summaries.size >= SUMMARIES_KEPT) summaries.clear();
      summaries.set(path, { mtime: info.mtimeMs, size: info.size, summary });
      executions.push({ summary, mtime: info.mtimeMs });
    } catch (error) {
      skipped.push({ file, reason: (error as Error).message.split('\n')[0]! });
    }
  }
  executions.sort((a, b) => (b.summary.recordedAt ?? '').localeCompare(a.summary.recordedAt ?? '') || b.mtime - a.mtime || a.summary.id.localeCompare(b.summary.id));
  return { executions: executions.map((entry) => entry.summary), skipped };
}

/** The record with this id, or undefined when there is none (or the id could name a path outside `dir`). */
export async function readRecord(dir: string, id: string): Promise<ViewerRecord | undefined> {
  if (!ID.test(id)) return undefined;
  let text: string;
  try {
    text = await readFile(join(dir, `${id}.json`), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseRecord(id, text);
}

/** A target as the console shows it: a release on AWS knows its alias's version only where its history tells. */
export type ReleaseTargetEntry = Omit<ReleaseTargetResult, 'alias'> & { alias: { name: string; version?: string; routing?: Record<string, number> } };

/**
 * A release as a source lists it (release-view.ts `ReleaseRecord`): a local run's record, or an
 * execution of the release state machine (aws-source.ts), which may still be running.
 */
export interface ReleaseListEntry {
  id: string;
  name: string;
  /** The local run's seed; a release on AWS has none. */
  seed?: number;
  onFailure: string;
  recordedAt: string;
  /** The release's execution in the Step Functions console, for a release on AWS. */
  consoleUrl?: string;
  result: Omit<ReleaseResult, 'outcome' | 'waves'> & {
    outcome: Ending | 'running';
    waves: { name: string; outcome: WaveOutcome; targets: ReleaseTargetEntry[] }[];
  };
}

/** Where the viewer's executions come from: a folder of local records, or Step Functions (aws-source.ts). */
export interface RecordSource {
  /** Says where, for people: "the records in .coalmine/executions". */
  describe: string;
  list(): Promise<RecordListing>;
  read(id: string): Promise<ViewerRecord | undefined>;
  /** Releases in waves, where the source has them (local records: release-view.ts). */
  releases?: { list(): Promise<ReleaseListEntry[]>; read(id: string): Promise<ReleaseListEntry | undefined> };
}

/** The records `coalmine run --local` wrote into `dir`. */
export function directorySource(dir: string): RecordSource {
  return { describe: `the records in ${dir}`, list: () => listRecords(dir), read: (id) => readRecord(dir, id) };
}
