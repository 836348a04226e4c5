/**
 * The verdicts on an execution page: the step timeline (the primary view — each step's weight, how
 * it ended, and every check of its last look in plain words), and the charts of whatever decided,
 * drawn from the checks' figures at each look: the errors' ratio interval, the queue's retry rate,
 * backlog, age of the oldest message and dead letters, and each custom metric, with the limits
 * they are judged against.
 */
import { renderChart, type ChartMarker, type ChartPoint, type ChartRule } from './charts.ts';
import { escape, formatNumber } from './html.ts';
import type { ViewerRecord } from './records.ts';

/** The state whose output carries the judge's verdict. */
export const EVALUATE_STATE = 'Evaluate the canary';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface CheckView {
  name: string;
  phase: 'pass' | 'inconclusive' | 'fail';
  summary: string;
  figures: Record<string, unknown>;
}

/** One look of the judge, as the Evaluate state's output says it. */
export interface LookView {
  /** Minutes since the execution started. */
  x: number;
  weight: number;
  decision: string;
  rollbackKind?: string;
  reasons: string[];
  figures: Record<string, unknown>;
  checks: CheckView[];
}

const PHASES = new Set(['pass', 'inconclusive', 'fail']);

function checksOf(value: unknown): CheckView[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((check): CheckView[] =>
    isObject(check) && typeof check.name === 'string' && typeof check.summary === 'string' && typeof check.phase === 'string' && PHASES.has(check.phase)
      ? [{ name: check.name, phase: check.phase as CheckView['phase'], summary: check.summary, figures: isObject(check.figures) ? check.figures : {} }]
      : [],
  );
}

/** The looks, from the Evaluate state's outputs; from the result's steps when the events lack them. */
export function looksOf(record: ViewerRecord, t0: number, firstShiftMinute: number): LookView[] {
  const looks: LookView[] = [];
  for (const event of record.events) {
    if (event.state !== EVALUATE_STATE || !event.type.endsWith('StateExited')) continue;
    const output = isObject(event.output) && isObject(event.output.Payload) ? event.output.Payload : event.output;
    if (!isObject(output) || !isObject(output.verdict) || typeof output.verdict.decision !== 'string') continue;
    const progress = isObject(output.progress) ? output.progress : {};
    looks.push({
      x: (Date.parse(event.at) - t0) / 60_000,
      weight: typeof progress.weight === 'number' ? progress.weight : 0,
      decision: output.verdict.decision,
      ...(typeof output.verdict.rollbackKind === 'string' ? { rollbackKind: output.verdict.rollbackKind } : {}),
      reasons: Array.isArray(output.verdict.reasons) ? output.verdict.reasons.map(String) : [],
      figures: isObject(output.verdict.figures) ? output.verdict.figures : {},
      checks: checksOf(output.verdict.checks),
    });
  }
  if (looks.length) return looks;
  return record.result.steps.map((step) => ({
    x: firstShiftMinute + step.minute,
    weight: step.weight,
    decision: step.decision,
    ...(step.rollbackKind ? { rollbackKind: step.rollbackKind } : {}),
    reasons: step.reasons,
    figures: {},
    checks: checksOf((step as { checks?: unknown }).checks),
  }));
}

const MARK: Record<CheckView['phase'], string> = { fail: '✗', inconclusive: '…', pass: '✓' };

function checkList(checks: CheckView[]): string {
  if (!checks.length) return '<p class="muted">This look carries no per-check verdicts.</p>';
  return `<ul class="checks">${checks
    .map((check) => `<li class="check check-${check.phase}"><span class="mark" aria-label="${check.phase}">${MARK[check.phase]}</span><span class="check-name">${escape(checkName(check.name))}</span><span class="summary">${escape(check.summary)}</span></li>`)
    .join('')}</ul>`;
}

/** "custom:checkout_failures" → "checkout_failures"; the rest as they are. */
function checkName(name: string): string {
  return name.startsWith('custom:') ? name.slice('custom:'.length) : name;
}

/**
 * The step timeline: one row per step of the strategy in order, with its weight, when it started
 * and ended, how it ended (✓ passed, ✗ rolled back, … still judged or never reached), its last
 * reason and the checks of its last look.
 */
export function stepTimeline(looks: LookView[], steps: number[], outcome: string): string {
  const rows = steps.map((weight, index) => {
    const at = looks.filter((look) => look.weight === weight);
    const last = at.at(-1);
    const ended = last?.decision;
    const state = ended === 'rollback' ? 'fail' : ended === 'advance' || ended === 'promote' ? 'pass' : at.length ? (outcome === 'promoted' ? 'pass' : 'fail') : 'pending';
    const mark = state === 'fail' ? '✗' : state === 'pass' ? '✓' : '·';
    const when = at.length ? `+${formatNumber(Math.round(at[0]!.x))}–${formatNumber(Math.round(last!.x))} min · ${at.length} look${at.length === 1 ? '' : 's'}` : 'not reached';
    const decision = last ? `<span class="badge decision decision-${escape(last.decision)}${last.rollbackKind === 'inconclusive' ? ' decision-inconclusive' : ''}">${escape(last.rollbackKind === 'inconclusive' ? 'rollback (inconclusive)' : last.decision)}</span>` : '';
    return `<li class="step step-${state}" id="step-${index + 1}"><div class="step-head"><span class="step-mark">${mark}</span><span class="step-weight">${formatNumber(weight)}%</span>${decision}<span class="muted">${escape(when)}</span></div>${
      last ? `<p class="step-reason">${escape(last.reasons[0] ?? '')}</p>${checkList(last.checks)}` : ''
    }</li>`;
  });
  const promoted = outcome === 'promoted';
  rows.push(`<li class="step step-${promoted ? 'pass' : 'pending'}"><div class="step-head"><span class="step-mark">${promoted ? '✓' : '·'}</span><span class="step-weight">100%</span><span class="muted">${promoted ? 'promoted' : 'not reached'}</span></div></li>`);
  const trail = [...steps.map((weight, index) => `${formatNumber(weight)}% ${rows[index]!.includes('step-fail') ? '✗' : rows[index]!.includes('step-pass') ? '✓' : ''}`.trim()), `100%${promoted ? ' ✓' : ''}`].join(' → ');
  return `<section class="panel timeline-panel"><h2>Steps</h2><p class="trail">${escape(trail)}</p><ol class="timeline">${rows.join('')}</ol></section>`;
}

function figureOf(check: CheckView | undefined, key: string): number | null {
  const value = check?.figures[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The last value of a figure over the looks, for the limit lines. */
function lastFigure(looks: LookView[], name: string, key: string): number | null {
  for (let i = looks.length - 1; i >= 0; i--) {
    const value = figureOf(looks[i]!.checks.find((check) => check.name === name), key);
    if (value !== null) return value;
  }
  return null;
}

function seriesOf(looks: LookView[], name: string, key: string, scale = 1): ChartPoint[] {
  return looks.map((look) => {
    const value = figureOf(look.checks.find((check) => check.name === name), key);
    return { x: look.x, y: value === null ? null : value * scale };
  });
}

const has = (points: ChartPoint[]) => points.some((point) => point.y !== null);

/**
 * The charts of what the checks judged, look by look. Each is drawn only when the checks carry its
 * figures: the queue's for SQS canaries, a custom metric's when the request has one.
 */
export function checkCharts(looks: LookView[], xMax: number, markers: ChartMarker[]): string[] {
  const charts: string[] = [];
  const chart = (title: string, unit: string, series: { label: string; className: string; points: ChartPoint[] }[], rules: ChartRule[] = [], band?: { label: string; points: { x: number; low: number; high: number }[] }) =>
    charts.push(renderChart({ title, unit, xMax, markers, series, rules, ...(band ? { band } : {}) }));

  // Errors: the interval the paired test allows for candidate ÷ stable, with 1× (no difference).
  const ratio = looks.flatMap((look) => {
    const errors = look.checks.find((check) => check.name === 'errors');
    const low = figureOf(errors, 'errorRatioLower');
    if (low === null) return [];
    const high = figureOf(errors, 'errorRatioUpper');
    return [{ x: look.x, low, high: high ?? Infinity }];
  });
  if (ratio.length) {
    const top = Math.max(4, ...ratio.map((point) => (Number.isFinite(point.high) ? point.high : 0)).filter((value) => value <= 16));
    chart(
      'Error ratio, candidate ÷ stable',
      '×',
      [],
      [{ y: 1, label: 'no difference (1×)', className: 'reference' }],
      { label: 'interval (99% sure)', points: ratio.map((point) => ({ x: point.x, low: point.low, high: Math.min(point.high, top) })) },
    );
  }

  // Leading indicators, each version: cost per million requests, and the share of requests that met a cold start.
  const cost = seriesOf(looks, 'cost', 'candidateCost');
  if (has(cost)) chart('Cost per million requests', ' $', [{ label: 'stable', className: 'stable', points: seriesOf(looks, 'cost', 'stableCost') }, { label: 'candidate', className: 'candidate', points: cost }]);
  const coldStarts = seriesOf(looks, 'coldStarts', 'candidateColdStartRate', 100);
  if (has(coldStarts)) chart('Cold starts since the first shift', '%', [{ label: 'stable', className: 'stable', points: seriesOf(looks, 'coldStarts', 'stableColdStartRate', 100) }, { label: 'candidate', className: 'candidate', points: coldStarts }]);

  // The queue, for SQS canaries: what its check judges, each against what rolls back.
  const retry = seriesOf(looks, 'queue', 'queueRetryRate', 100);
  if (has(retry)) {
    const before = lastFigure(looks, 'queue', 'queueBaselineRetryRate');
    chart('Queue retry rate since the first shift', '%', [{ label: 'retry rate', className: 'candidate', points: retry }, { label: 'rolls back above', className: 'limit-line', points: seriesOf(looks, 'queue', 'queueRetryNullRate', 100) }], before === null ? [] : [{ y: before * 100, label: 'before the shift', className: 'reference' }]);
    const backlogLimit = lastFigure(looks, 'queue', 'queueBacklogLimit');
    chart('Queue backlog (visible messages)', '', [{ label: 'backlog', className: 'candidate', points: seriesOf(looks, 'queue', 'queueVisible') }], backlogLimit === null ? [] : [{ y: backlogLimit, label: 'limit', className: 'guardrail' }]);
    chart('Age of the oldest message', ' s', [{ label: 'oldest message', className: 'candidate', points: seriesOf(looks, 'queue', 'queueAgeOfOldestSeconds') }]);
    chart('Dead letters since the canary began', '', [{ label: 'new dead letters', className: 'candidate', points: seriesOf(looks, 'queue', 'queueDeadLetters') }, { label: 'allowed', className: 'limit-line', points: seriesOf(looks, 'queue', 'queueDeadLettersAllowed') }]);
  }

  // Custom metrics: counts per 1,000 requests, candidate vs stable; gauges against their limit.
  const customs = [...new Set(looks.flatMap((look) => look.checks.map((check) => check.name)).filter((name) => name.startsWith('custom:')))];
  for (const name of customs) {
    const id = checkName(name);
    const candidate = seriesOf(looks, name, `${id}PerThousandCandidate`);
    if (has(candidate)) {
      chart(`${id} per 1,000 requests since the first shift`, '', [{ label: 'stable', className: 'stable', points: seriesOf(looks, name, `${id}PerThousandStable`) }, { label: 'candidate', className: 'candidate', points: candidate }]);
      continue;
    }
    const latest = seriesOf(looks, name, `${id}Latest`);
    if (has(latest)) {
      const limit = lastFigure(looks, name, `${id}Limit`);
      chart(`${id} (candidate, latest minute)`, '', [{ label: 'candidate', className: 'candidate', points: latest }], limit === null ? [] : [{ y: limit, label: 'limit', className: 'guardrail' }]);
    }
  }
  return charts;
}

/** A figure's key as words: "candidateErrorRate" → "candidate error rate", "queueAgeOfOldestSeconds" → "queue age of oldest seconds". */
export function figureLabel(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
}

/** Figures a person reads: raw evidence (e-values) and the judge's bookkeeping stay in the JSON. */
export function readableFigures(figures: Record<string, unknown>): [string, unknown][] {
  return Object.entries(figures).filter(([key]) => !/evidence|^look$|minutesInWindow|troubledLooks/i.test(key));
}
