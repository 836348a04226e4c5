/**
 * The console's view of a release in waves: `coalmine run --local --release` writes one record per
 * release into `.coalmine/releases` (beside `.coalmine/executions`, where each target's canary is
 * recorded), and the console lists them above the executions and shows each one: its waves in order,
 * each target's outcome and alias, and a link to the target's canary execution.
 *
 * @example
 * const releases = await listReleases('.coalmine/releases');
 * releasePage(releases[0]!); // the HTML of its page
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RollbackKind } from '../core/state.ts';
import type { WaveOutcome } from '../local/release.ts';
import { escape } from './html.ts';
import { layout, outcomeBadge } from './pages.ts';
import { directorySource, idOf, type RecordSource, type ReleaseListEntry } from './records.ts';

/** What `run --local --release` records of a release; its id is the file's name without `.json`. */
export type ReleaseRecord = ReleaseListEntry;

/**
 * The local records: the executions `coalmine run --local` wrote into `dir`, and the releases
 * `run --local --release` wrote beside it (`dir/../releases`).
 */
export function localRecords(dir: string): RecordSource {
  const releases = join(dir, '..', 'releases');
  return { ...directorySource(dir), releases: { list: () => listReleases(releases), read: (id) => readRelease(releases, id) } };
}

/** Writes a release's record into `dir` and returns its path. */
export function writeReleaseRecord(dir: string, record: Omit<ReleaseRecord, 'id'>): string {
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, `release-${record.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${record.recordedAt.replace(/[-:.]/g, '')}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

/** Every release recorded in `dir`, newest first; a missing folder, or a file that is not a release record, is left out. */
export async function listReleases(dir: string): Promise<ReleaseRecord[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: ReleaseRecord[] = [];
  for (const file of files) {
    const record = await readRelease(dir, idOf(file) ?? '');
    if (record) records.push(record);
  }
  return records.sort((a, b) => b.recordedAt.localeCompare(a.recordedAt));
}

/** The release recorded under this id, or undefined. */
export async function readRelease(dir: string, id: string): Promise<ReleaseRecord | undefined> {
  if (!idOf(`${id}.json`)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8'));
  } catch {
    return undefined;
  }
  const record = parsed as Partial<ReleaseRecord> | null;
  if (!record || typeof record.name !== 'string' || !Array.isArray(record.result?.waves)) return undefined;
  return { ...(record as ReleaseRecord), id };
}

/** A wave's or target's ending; one the release never reached is skipped, or, while it runs, yet to come. */
function endingBadge(outcome: WaveOutcome, rollbackKind: RollbackKind | null = null, running = false): string {
  if (outcome === 'skipped') return running ? '<span class="badge outcome-running">Not yet</span>' : '<span class="badge outcome-skipped">Skipped</span>';
  return outcomeBadge({ outcome, rollbackKind });
}

function releaseBadge(result: ReleaseRecord['result']): string {
  return result.outcome === 'running' ? '<span class="badge outcome-running">Running</span>' : outcomeBadge({ outcome: result.outcome, rollbackKind: result.rollbackKind });
}

/** What the list and the page say of where a release comes from: a local run's seed, or the execution on AWS. */
function provenance(release: ReleaseRecord): string {
  return release.seed === undefined ? 'on AWS' : `seed ${escape(release.seed)}`;
}

/** The releases above the executions' list; nothing when there are none, a line when the source could not read them. */
export function releasesSection(releases: ReleaseRecord[], failure?: string): string {
  const unread = failure ? `<p class="skipped">Releases could not be read: ${escape(failure)}</p>` : '';
  if (releases.length === 0) return unread;
  const rows = releases.map(
    (release) => `<tr>
<td class="name"><a href="/releases/${encodeURIComponent(release.id)}">${escape(release.name)}</a><div class="muted">${escape(release.result.waves.length)} waves · ${escape(release.result.waves.reduce((sum, wave) => sum + wave.targets.length, 0))} targets · onFailure ${escape(release.onFailure)} · ${provenance(release)}</div></td>
<td>${releaseBadge(release.result)}</td>
<td class="reason">${escape(release.result.reason)}</td>
</tr>`,
  );
  return `<h2>Releases <span class="count">${releases.length}</span></h2>
${unread}<table class="executions releases"><thead><tr><th>Release</th><th>Outcome</th><th>Reason</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** The alias as the release left it, where that is known. */
function aliasText(alias: ReleaseRecord['result']['waves'][number]['targets'][number]['alias']): string {
  if (alias.version === undefined) return '–';
  const routing = Object.entries(alias.routing ?? {});
  return `version ${alias.version}${routing.length ? ` + ${routing.map(([version, weight]) => `${version}: ${weight}%`).join(', ')}` : ''}`;
}

/** One release: its waves in order, each target with its outcome, its alias as the release left it, and its canary. */
export function releasePage(release: ReleaseRecord): string {
  const running = release.result.outcome === 'running';
  const waves = release.result.waves.map((wave, index) => {
    const targets = wave.targets.map((target) => {
      const pending = running && target.outcome === 'skipped' ? 'once the wave ends' : 'not started';
      const canary = target.record ? `<a href="/executions/${encodeURIComponent(target.record)}">canary</a>` : `<span class="muted">${pending}</span>`;
      return `<tr class="target">
<td class="name">${escape(target.region)}<div class="muted">${escape(target.functionName)}:${escape(target.alias.name)}</div></td>
<td>${endingBadge(target.outcome, target.rollbackKind ?? null, running)}</td>
<td class="num">${escape(aliasText(target.alias))}</td>
<td class="reason">${escape(target.reason)}</td>
<td>${canary}</td>
</tr>`;
    });
    return `<section class="wave" data-wave="${index + 1}">
<h2>Wave ${index + 1}: ${escape(wave.name)} ${endingBadge(wave.outcome, null, running)}</h2>
<table class="executions targets"><thead><tr><th>Target</th><th>Outcome</th><th class="num">Alias</th><th>Reason</th><th>Canary</th></tr></thead><tbody>
${targets.join('\n')}
</tbody></table>
</section>`;
  });
  const execution = release.consoleUrl ? ` · <a href="${escape(release.consoleUrl)}">its execution in the Step Functions console</a>` : '';
  return layout(
    `Release ${release.name}`,
    `<p><a href="/">← all executions</a></p>
<h1>Release ${escape(release.name)} ${releaseBadge(release.result)}</h1>
<p class="reason">${escape(release.result.reason)}</p>
<p class="muted">onFailure ${escape(release.onFailure)} · ${provenance(release)} · ${running ? 'started' : 'recorded'} ${escape(release.recordedAt)}${execution}</p>
${waves.join('\n')}`,
  );
}
