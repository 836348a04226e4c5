/**
 * Watch: judges a traffic split that something else controls (a CodeDeploy deployment, say) and
 * writes nothing. It reads the alias through the TrafficRouter (`getAlias` only: never
 * `updateAlias`, never the owner mark), plans as Plan does from pre-shift data, then every minute
 * reads both versions' settled minute through the same metrics port Evaluate uses and takes one
 * `look()` — the real judge and decide() — at the weight the alias has now. It reports what
 * Coalmine would have decided, and when, beside what the other tool did.
 *
 * The other tool sets the weights and only it knows whether it will raise them again, so the whole
 * split is judged as Coalmine's final step: a look that passes reads "would promote", and the
 * candidate's requests count from the first minute it served.
 *
 * @example
 * const result = await watchSplit({ router, metrics, clock, waitUntil }, { functionName: 'checkout', alias: 'live', waitForSplitMinutes: 30, maxMinutes: 120 });
 * result.summary; // "Coalmine would have rolled back (regression) at +4m (09:06 UTC); the other tool promoted version 13 at +30m (09:32 UTC)."
 */
import { estimateTraffic, planCanary, type CanaryPlanning } from './forecast.ts';
import { assess, analysisSchema, type AnalysisSettings, type CheckVerdict } from './judge/index.ts';
import { look } from './look.ts';
import type { AliasState, Baseline, Clock, MetricsSource, MinuteObservation, TrafficRouter } from './ports.ts';
import type { Decision, JudgedRollbackKind } from './state.ts';
import type { Strategy } from './strategy.ts';
import { addSeconds, floorMinute, iso, minutesBetween } from './time.ts';

/** Hours of the alias' history read where the baseline is too thin (as Plan reads). */
const HISTORY_HOURS = 24;
const MINUTE_MS = 60_000;

export interface WatchPorts {
  /** Read only: the watch never calls anything but `getAlias`. */
  router: Pick<TrafficRouter, 'getAlias'>;
  metrics: MetricsSource;
  clock: Clock;
  /** Waits until `until`: on AWS it sleeps; on the simulated account the clock moves there. */
  waitUntil(until: Date): Promise<void>;
}

export interface WatchOptions {
  functionName: string;
  alias: string;
  /** How long to wait, minute by minute, for a split to appear. */
  waitForSplitMinutes: number;
  /** Stop watching this many minutes after the split was seen, if it has not ended. */
  maxMinutes: number;
  /** The judge's settings; default: a request's defaults. */
  settings?: AnalysisSettings;
  /** How the summary names whoever moves the alias. */
  otherName?: string;
}

/** One minute's look, as Coalmine's verdict would read. */
export interface WatchLook {
  /** Minutes since the split was seen. */
  minute: number;
  at: string;
  /** The candidate's weight on the alias at this look, percent. */
  weight: number;
  decision: Decision;
  rollbackKind?: JudgedRollbackKind;
  /** "would hold", "would promote", "would roll back (regression)", … */
  verdict: string;
  reasons: string[];
  checks: Pick<CheckVerdict, 'name' | 'phase' | 'summary'>[];
}

/** What the other tool did: promoted the candidate, rolled back to stable, changed the alias otherwise, or none of it yet. */
export type OtherAction = 'promoted' | 'rolled-back' | 'changed' | 'still-split' | 'no-split';

export interface WatchResult {
  functionName: string;
  alias: string;
  stableVersion: string | null;
  candidateVersion: string | null;
  watchStartedAt: string;
  splitSeenAt: string | null;
  /** True when the alias was already split when the watch started: the baseline then ends before the watch, not before the split. */
  splitBeforeWatch: boolean;
  baseline: { start: string; end: string; minutes: number; invocations: number; errors: number } | null;
  /** What Plan would have stated, for the weight first seen. */
  plan: { weight: number; promotionBar: number; minutesToPromote: number | null; maxDurationMinutes: number; summary: string } | null;
  looks: WatchLook[];
  /** Coalmine's first promote or rollback; else its last look (hold), or `none` with no look. */
  coalmine: { decision: Decision | 'none'; rollbackKind?: JudgedRollbackKind; verdict: string; minute: number | null; at: string | null; reason: string };
  other: { action: OtherAction; minute: number | null; at: string | null; alias: { version: string; routing: Record<string, number> } };
  /** One line: what Coalmine would have done and when, and what the other tool did and when. */
  summary: string;
}

export type WatchEvent =
  | { type: 'waiting'; alias: AliasState }
  | { type: 'split'; at: string; stableVersion: string; candidateVersion: string; weight: number; splitBeforeWatch: boolean }
  | { type: 'planned'; line: string }
  | { type: 'look'; look: WatchLook };

/** "would hold", "would roll back (regression)". */
export function verdictOf(decision: Decision, rollbackKind?: JudgedRollbackKind): string {
  if (decision === 'rollback') return `would roll back (${rollbackKind ?? 'regression'})`;
  if (decision === 'await-approval') return 'would wait for approval';
  return `would ${decision}`;
}

/** The version the alias routes extra weight to, with its weight; undefined when the alias is on one version. */
function splitOf(alias: AliasState): { candidate: string; weight: number } | undefined {
  const extra = Object.entries(alias.weights).find(([version, weight]) => weight > 0 && version !== alias.version);
  return extra ? { candidate: extra[0], weight: extra[1] } : undefined;
}

function nextMinute(now: Date): Date {
  return new Date(floorMinute(now).getTime() + MINUTE_MS);
}

export async function watchSplit(ports: WatchPorts, options: WatchOptions, onEvent: (event: WatchEvent) => void = () => {}): Promise<WatchResult> {
  const { router, metrics, clock, waitUntil } = ports;
  const { functionName, alias: aliasName } = options;
  const settings = options.settings ?? analysisSchema.parse({});
  const otherName = options.otherName ?? 'the other tool';
  const startedAt = clock.now();
  const getAlias = () => router.getAlias(functionName, aliasName);

  // 1. Wait for a split, minute by minute.
  let alias = await getAlias();
  const splitBeforeWatch = splitOf(alias) !== undefined;
  let lastUnsplit: Date | undefined;
  if (!splitBeforeWatch) onEvent({ type: 'waiting', alias });
  const waitDeadline = startedAt.getTime() + options.waitForSplitMinutes * MINUTE_MS;
  while (!splitOf(alias)) {
    lastUnsplit = clock.now();
    const next = nextMinute(clock.now());
    if (next.getTime() > waitDeadline) return noSplit(alias);
    await waitUntil(next);
    alias = await getAlias();
  }
  const split = splitOf(alias)!;
  const stable = alias.version;
  const candidate = split.candidate;
  const splitSeenAt = clock.now();
  onEvent({ type: 'split', at: iso(splitSeenAt), stableVersion: stable, candidateVersion: candidate, weight: split.weight, splitBeforeWatch });

  // 2. Plan as Plan does, from the stable version's minutes before the split (or before the watch).
  const settledNow = addSeconds(splitSeenAt, -settings.settleSeconds);
  const baselineEnd = floorMinute(lastUnsplit && lastUnsplit < settledNow ? lastUnsplit : settledNow);
  const baselineStart = addSeconds(baselineEnd, -60 * settings.baselineMinutes);
  const baseline = await metrics.baseline({ functionName, alias: aliasName, version: stable, start: iso(baselineStart), end: iso(baselineEnd), percentile: settings.latencyPercentile });
  const history = metrics.history
    ? await metrics.history({ functionName, alias: aliasName, start: iso(addSeconds(baselineStart, -HISTORY_HOURS * 3600)), end: iso(baselineStart) })
    : { hours: [], failures: [] };
  // No named strategy: the other tool sets the weights. Planned at the weight first seen, held until promotion.
  const observed: Strategy = { name: `as ${otherName} shifts it`, steps: [split.weight], intervalMinutes: 1 };
  const planning = planCanary({ traffic: estimateTraffic(baseline, history.hours, iso(baselineStart)), strategy: observed, settings });
  const analysis: AnalysisSettings = { ...settings, maxDurationMinutes: planning.forecast.maxDurationMinutes };
  onEvent({ type: 'planned', line: planLine(split.weight, stable, candidate, baseline, splitBeforeWatch, planning) });

  // 3. Every minute: the alias, then both versions' settled minutes, then one look.
  const looks: WatchLook[] = [];
  let memory: Record<string, unknown> | undefined;
  let judgedUntil = baselineEnd;
  let firstShift: Date | undefined;
  let other: WatchResult['other'] | undefined;
  const minuteOf = (at: Date) => Math.round((at.getTime() - splitSeenAt.getTime()) / MINUTE_MS);
  while (!other) {
    const next = nextMinute(clock.now());
    if (minuteOf(next) > options.maxMinutes) {
      other = { action: 'still-split', minute: minuteOf(clock.now()), at: iso(clock.now()), alias: routingOf(alias) };
      break;
    }
    await waitUntil(next);
    alias = await getAlias();
    const now = clock.now();
    const weight = alias.version === stable ? alias.weights[candidate] : undefined;
    if (!(weight && weight > 0) || Object.keys(alias.weights).some((version) => version !== candidate && alias.weights[version]! > 0)) {
      other = { action: endingOf(alias, stable, candidate), minute: minuteOf(now), at: iso(now), alias: routingOf(alias) };
      break;
    }
    const settledEnd = floorMinute(addSeconds(now, -settings.settleSeconds));
    if (settledEnd <= judgedUntil) continue;
    const read = await metrics.versionMinutes({
      functionName,
      alias: aliasName,
      stableVersion: stable,
      candidateVersion: candidate,
      start: iso(judgedUntil),
      end: iso(settledEnd),
      ...(baseline.latencyThresholdMs === undefined ? {} : { slowThresholdMs: baseline.latencyThresholdMs }),
      ...(baseline.medianMs ? { medianThresholdsMs: { stable: baseline.medianMs, candidate: baseline.medianMs * settings.costTolerance } } : {}),
    });
    judgedUntil = settledEnd;
    let minutes: MinuteObservation[] = read.minutes;
    if (!firstShift) {
      // The split began somewhere between two reads of the alias: its minutes start where the candidate first served.
      const first = minutes.findIndex((minute) => minute.candidate !== null);
      if (first < 0 && read.failures.length === 0) continue;
      minutes = first < 0 ? [] : minutes.slice(first);
      firstShift = new Date(minutes[0]?.minute ?? iso(settledEnd));
    }
    const inSplit = Math.max(0, minutesBetween(firstShift, settledEnd));
    const looked = look(assess, {
      memory,
      window: { minutes, failures: read.failures },
      baseline,
      settings: analysis,
      trigger: 'api',
      strategy: { steps: [weight], intervalMinutes: 1 },
      stepIndex: 0,
      weight,
      minutesInStep: inSplit,
      minutesSinceFirstShift: inSplit,
      promotion: planning.promotion,
    });
    memory = looked.assessment.memory;
    const seen: WatchLook = {
      minute: minuteOf(now),
      at: iso(now),
      weight,
      decision: looked.decision,
      ...(looked.rollbackKind ? { rollbackKind: looked.rollbackKind } : {}),
      verdict: verdictOf(looked.decision, looked.rollbackKind),
      // The other tool holds the weight, not Coalmine: a hold says why, without Coalmine's step extension.
      reasons: looked.reasons.map((reason, i) => (i === 0 && looked.decision === 'hold' ? reason.replace(/^extending the step \(\d+ of at most \d+ extra minutes\): /, '') : reason)),
      checks: (looked.assessment.checks ?? []).map(({ name, phase, summary }) => ({ name, phase, summary })),
    };
    looks.push(seen);
    onEvent({ type: 'look', look: seen });
  }

  const coalmine = coalmineVerdict(looks);
  return {
    functionName,
    alias: aliasName,
    stableVersion: stable,
    candidateVersion: candidate,
    watchStartedAt: iso(startedAt),
    splitSeenAt: iso(splitSeenAt),
    splitBeforeWatch,
    baseline: { start: iso(baselineStart), end: iso(baselineEnd), minutes: baseline.minutes, invocations: baseline.invocations, errors: baseline.errors },
    plan: {
      weight: split.weight,
      promotionBar: planning.forecast.promotionBar.errorRate,
      minutesToPromote: planning.forecast.minutesToPromote,
      maxDurationMinutes: planning.forecast.maxDurationMinutes,
      summary: planning.forecast.summary,
    },
    looks,
    coalmine,
    other,
    summary: `${coalmineSentence(coalmine)}; ${otherSentence(other, otherName, stable, candidate, options.maxMinutes)}.`,
  };

  function noSplit(now: AliasState): WatchResult {
    const at = clock.now();
    const other: WatchResult['other'] = { action: 'no-split', minute: null, at: iso(at), alias: routingOf(now) };
    return {
      functionName,
      alias: aliasName,
      stableVersion: null,
      candidateVersion: null,
      watchStartedAt: iso(startedAt),
      splitSeenAt: null,
      splitBeforeWatch: false,
      baseline: null,
      plan: null,
      looks: [],
      coalmine: { decision: 'none', verdict: 'nothing to judge', minute: null, at: null, reason: 'no split appeared' },
      other,
      summary: `No split appeared on ${functionName}:${aliasName} within ${options.waitForSplitMinutes} minutes (the alias is on version ${now.version}${describeRouting(other.alias.routing)}): nothing to judge.`,
    };
  }
}

/** How the split ended: on the candidate alone (promoted), on stable alone (rolled back), or some other change. */
function endingOf(alias: AliasState, stable: string, candidate: string): OtherAction {
  if (splitOf(alias)) return 'changed';
  if (alias.version === candidate) return 'promoted';
  if (alias.version === stable) return 'rolled-back';
  return 'changed';
}

function routingOf(alias: AliasState): { version: string; routing: Record<string, number> } {
  return { version: alias.version, routing: { ...alias.weights } };
}

function describeRouting(routing: Record<string, number>): string {
  const entries = Object.entries(routing).filter(([, weight]) => weight > 0);
  return entries.length ? `, ${entries.map(([version, weight]) => `${weight}% on version ${version}`).join(', ')}` : ', no routing';
}

/** The first look that would have ended the canary; else the last look. */
function coalmineVerdict(looks: WatchLook[]): WatchResult['coalmine'] {
  const decisive = looks.find((seen) => seen.decision === 'promote' || seen.decision === 'rollback') ?? looks.at(-1);
  if (!decisive) return { decision: 'none', verdict: 'nothing to judge', minute: null, at: null, reason: 'no settled minute of the split was read' };
  return {
    decision: decisive.decision,
    ...(decisive.rollbackKind ? { rollbackKind: decisive.rollbackKind } : {}),
    verdict: decisive.verdict,
    minute: decisive.minute,
    at: decisive.at,
    reason: decisive.reasons[0] ?? 'no reason given',
  };
}

function utcTime(at: string | null): string {
  return at ? ` (${at.slice(11, 16)} UTC)` : '';
}

function coalmineSentence(verdict: WatchResult['coalmine']): string {
  if (verdict.decision === 'none') return 'Coalmine had no settled minute of the split to judge';
  const at = `at +${verdict.minute}m${utcTime(verdict.at)}`;
  if (verdict.decision === 'promote') return `Coalmine would have promoted ${at}`;
  if (verdict.decision === 'rollback') return `Coalmine would have rolled back (${verdict.rollbackKind ?? 'regression'}) ${at}`;
  return `Coalmine would still have held ${at} (${verdict.reason})`;
}

function otherSentence(other: WatchResult['other'], name: string, stable: string, candidate: string, maxMinutes: number): string {
  const when = `at +${other.minute}m${utcTime(other.at)}`;
  if (other.action === 'promoted') return `${name} promoted version ${candidate} ${when}`;
  if (other.action === 'rolled-back') return `${name} rolled back to version ${stable} ${when}`;
  if (other.action === 'changed') return `${name} changed the alias ${when} (now version ${other.alias.version}${describeRouting(other.alias.routing)})`;
  return `the alias was still split after --max-minutes (${maxMinutes}): ${describeRouting(other.alias.routing).slice(2)}`;
}

function planLine(weight: number, stable: string, candidate: string, baseline: Baseline, splitBeforeWatch: boolean, planning: CanaryPlanning): string {
  const before = splitBeforeWatch
    ? `${baseline.minutes} minutes of version ${stable} before the watch started (the split was already there, so they are not all before it)`
    : `${baseline.minutes} minutes of version ${stable} before the split`;
  return `plan: version ${stable} → ${candidate}, weights set by another tool (${weight}% when first seen); baseline: ${before}; forecast if it stayed at ${weight}%: ${planning.forecast.summary}`;
}
