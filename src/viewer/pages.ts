/**
 * The viewer's pages, rendered on the server as HTML with inline SVG: the list of executions, and
 * one execution (graph, weight timeline, error-rate and p99 charts with the decisions, the decisions
 * with their reasons and figures). No script is needed to read them.
 */
import { outcomeTitle } from '../core/state.ts';
import { renderChart, type ChartMarker, type ChartPoint, type ChartRule } from './charts.ts';
import { pathOf, renderGraph, stateAnchor } from './graph.ts';
import { escape, formatNumber } from './html.ts';
import { VISITS_KEPT } from '../local/record.ts';
import type { RecordListing, RecordSummary, ViewerRecord } from './records.ts';
import { checkCharts, figureLabel, looksOf, readableFigures, stepTimeline, type LookView } from './verdict-view.ts';
/** Minutes summed for the error-rate lines: one minute of a 10% canary is a handful of requests. */
const ROLLING_MINUTES = 5;


export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Coalmine</title>
<link rel="stylesheet" href="/static/viewer.css">
<script src="/static/viewer.js" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/"><span class="logo" aria-hidden="true">◆</span> Coalmine</a><span class="subtitle">local executions</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The ending's badge; an inconclusive rollback has its own name and colour, apart from a found regression. */
export function outcomeBadge(summary: Pick<RecordSummary, 'outcome' | 'rollbackKind'> & Partial<Pick<RecordSummary, 'restoredAfterPromotion'>>): string {
  const inconclusive = summary.outcome === 'rolled-back' && summary.rollbackKind === 'inconclusive' ? ' outcome-inconclusive' : '';
  return `<span class="badge outcome-${escape(summary.outcome)}${inconclusive}">${escape(outcomeTitle({ result: summary.outcome, rollbackKind: summary.rollbackKind, restoredAfterPromotion: summary.restoredAfterPromotion }))}</span>`;
}

function decisionBadge(decision: DecisionView): string {
  const inconclusive = decision.decision === 'rollback' && decision.rollbackKind === 'inconclusive';
  return `<span class="badge decision decision-${escape(decision.decision)}${inconclusive ? ' decision-inconclusive' : ''}">${escape(inconclusive ? 'rollback (inconclusive)' : decision.decision)}</span>`;
}

/** Whether the judge did what the scenario expected of it. */
function verdictOnExpectation(summary: Pick<RecordSummary, 'expect' | 'outcome'>): string {
  if (!summary.expect) return '';
  const expected = summary.expect === 'promote' ? 'promoted' : 'rolled-back';
  const met = summary.outcome === expected;
  return `<span class="expect ${met ? 'met' : 'missed'}" title="the scenario expects: ${escape(summary.expect)}">${met ? '✓ as expected' : `✗ expected ${escape(summary.expect)}`}</span>`;
}

/** What the list shows: filters by outcome and scenario, and which page. */
export interface ListQuery {
  outcome?: string;
  scenario?: string;
  page?: number;
}

/** Rows on one page of the list. */
export const PAGE_SIZE = 50;

/** The outcome filter's values: an inconclusive rollback is apart from a found regression. */
function outcomeKey(summary: Pick<RecordSummary, 'outcome' | 'rollbackKind'>): string {
  return summary.outcome === 'rolled-back' && summary.rollbackKind === 'inconclusive' ? 'inconclusive' : summary.outcome;
}

const OUTCOME_FILTERS: [string, string][] = [['promoted', 'Promoted'], ['rolled-back', 'Rolled back'], ['inconclusive', 'Inconclusive'], ['failed', 'Failed']];

function listHref(query: ListQuery): string {
  const params = new URLSearchParams();
  if (query.outcome) params.set('outcome', query.outcome);
  if (query.scenario) params.set('scenario', query.scenario);
  if (query.page && query.page > 1) params.set('page', String(query.page));
  const text = params.toString();
  return text ? `/?${text}` : '/';
}

/** "2026-12-02 07:43:56" from an ISO time; the wall-clock time the run was recorded. */
function when(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '–';
}

export function listPage(listing: RecordListing, query: ListQuery = {}, releases = ''): string {
  const filtered = listing.executions.filter((summary) => (!query.outcome || outcomeKey(summary) === query.outcome) && (!query.scenario || summary.scenario === query.scenario));
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
  const page = Math.min(pages, Math.max(1, query.page ?? 1));
  const shown = filtered.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const rows = shown
    .map(
      (summary) => `<tr>
<td class="name"><a href="/executions/${encodeURIComponent(summary.id)}">${escape(summary.scenario)} · seed ${escape(summary.seed)}</a><div class="muted">${escape(summary.name)}</div><div class="muted">${escape([summary.functionName && `${summary.functionName}:${summary.alias ?? '?'}`, summary.candidateVersion && `v${summary.candidateVersion}`].filter(Boolean).join(' · '))}</div></td>
<td class="num recorded" title="when the run was recorded (wall clock, UTC)">${escape(when(summary.recordedAt))}</td>
<td class="outcome">${outcomeBadge(summary)}${verdictOnExpectation(summary)}</td>
<td class="reason">${escape(summary.reason)}<div class="muted">${escape(summary.description)}</div></td>
<td class="num">${summary.minutesToDecision === null ? '–' : `${formatNumber(summary.minutesToDecision)} min`}<div class="muted">of ${formatNumber(summary.durationMinutes)}</div></td>
<td class="num">${formatNumber(summary.excessFailures)}</td>
</tr>`,
    )
    .join('\n');
  const skipped = listing.skipped.length
    ? `<details class="skipped"><summary>${listing.skipped.length} not listed</summary><ul>${listing.skipped.map((file) => `<li><code>${escape(file.file)}</code>: ${escape(file.reason)}</li>`).join('')}</ul></details>`
    : '';
  const link = (label: string, target: ListQuery, active: boolean) => `<a href="${escape(listHref(target))}"${active ? ' class="active"' : ''}>${escape(label)}</a>`;
  const scenarios = [...new Set(listing.executions.map((summary) => summary.scenario))].sort();
  const filters = `<nav class="filters" aria-label="filters"><span class="muted">Outcome</span>${link('all', { ...query, outcome: undefined, page: 1 }, !query.outcome)}${OUTCOME_FILTERS.map(([key, label]) => link(label, { ...query, outcome: key, page: 1 }, query.outcome === key)).join('')}
<span class="muted">Scenario</span>${link('all', { ...query, scenario: undefined, page: 1 }, !query.scenario)}${scenarios.map((name) => link(name, { ...query, scenario: name, page: 1 }, query.scenario === name)).join('')}</nav>`;
  const paging =
    pages > 1
      ? `<nav class="pages" aria-label="pages">${page > 1 ? link('← newer', { ...query, page: page - 1 }, false) : ''}<span class="muted">page ${page} of ${pages}</span>${page < pages ? link('older →', { ...query, page: page + 1 }, false) : ''}</nav>`
      : '';
  const body = listing.executions.length
    ? `${filters}<table class="executions">
<thead><tr><th>Execution</th><th class="num">Recorded</th><th>Outcome</th><th>Reason</th><th class="num">To decision</th><th class="num" title="failed requests served by the candidate beyond what the stable version would have failed">Excess failures</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6" class="muted">No execution matches these filters.</td></tr>'}
</tbody>
</table>${paging}`
    : `<div class="empty"><p>No executions recorded yet.</p><p>Run one on the simulated account, then reload:</p><pre>npx coalmine run --local --scenario healthy</pre></div>`;
  return layout('Executions', `${releases}<h1 data-total="${listing.executions.length}">Executions <span class="count">${filtered.length}</span></h1>\n${body}\n${skipped}`);
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export type DecisionView = LookView;

function rollingRate(record: ViewerRecord, version: 'stable' | 'candidate', t0: number, xMax: number): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (let index = 0; index < record.series.length; index++) {
    let errors = 0;
    let invocations = 0;
    for (let back = Math.max(0, index - ROLLING_MINUTES + 1); back <= index; back++) {
      const minute = record.series[back]![version];
      if (!minute) continue;
      errors += minute.errors;
      invocations += minute.invocations;
    }
    const point = record.series[index]!;
    // A minute's figures are plotted where the minute ends, when they are known (and when the judge can see them).
    const x = (Date.parse(point.minute) - t0) / 60_000 + 1;
    // After a rollback (or before the first shift) the candidate serves nothing: its line stops there.
    const serving = version === 'stable' || point.weight > 0;
    if (x <= xMax) points.push({ x, y: serving && invocations > 0 ? (errors / invocations) * 100 : null });
  }
  return points;
}

function p99Of(record: ViewerRecord, version: 'stable' | 'candidate', t0: number, xMax: number): ChartPoint[] {
  return record.series.filter((point) => (Date.parse(point.minute) - t0) / 60_000 + 1 <= xMax).map((point) => {
    const minute = point[version];
    const serving = version === 'stable' || point.weight > 0;
    // Plotted where the minute ends, like the error rate: both lines stop at the same decision.
    return { x: (Date.parse(point.minute) - t0) / 60_000 + 1, y: serving && minute && minute.invocations > 0 && minute.p99Ms !== undefined ? minute.p99Ms : null };
  });
}

const minutes = (x: number): string => formatNumber(Math.round(x * 10) / 10);

/**
 * Runs of the same decision at the same weight, as one row each: a step held for two hours is one
 * line that says so (with the last look's reasons and figures), not a hundred and twenty.
 */
export interface DecisionGroup {
  first: DecisionView;
  last: DecisionView;
  count: number;
  /** Index of the first decision of the run (markers carry the same index). */
  from: number;
}

export function groupDecisions(decisions: DecisionView[]): DecisionGroup[] {
  const groups: DecisionGroup[] = [];
  decisions.forEach((decision, index) => {
    const current = groups.at(-1);
    if (current && current.last.decision === decision.decision && current.last.weight === decision.weight) {
      current.last = decision;
      current.count += 1;
    } else groups.push({ first: decision, last: decision, count: 1, from: index });
  });
  return groups;
}

function figureValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (value === null) return '–';
  return String(value);
}

function planOf(record: ViewerRecord): Json | undefined {
  for (const event of record.events) {
    if (!event.type.endsWith('StateExited')) continue;
    const output = isObject(event.output) && isObject(event.output.Payload) ? event.output.Payload : event.output;
    if (isObject(output) && isObject(output.plan)) return output.plan;
  }
  return undefined;
}

function card(label: string, value: string, note = ''): string {
  return `<div class="card"><div class="label">${escape(label)}</div><div class="value">${value}</div>${note ? `<div class="note">${note}</div>` : ''}</div>`;
}

export function executionPage(record: ViewerRecord, summary: RecordSummary): string {
  const t0 = Date.parse(record.startedAt);
  const xOf = (iso: string) => (Date.parse(iso) - t0) / 60_000;
  const firstShift = record.series.find((point) => point.weight > 0);
  const firstShiftMinute = firstShift ? xOf(firstShift.minute) : 0;
  const decisions = looksOf(record, t0, firstShiftMinute);
  // The series may run on to the scenario's horizon after the canary ended; the charts stop a little
  // after the end, where there is nothing left to judge.
  const finished = xOf(record.finishedAt);
  const xMax = Math.max(1, finished + Math.max(3, finished * 0.1));
  const markers: ChartMarker[] = decisions.map((decision, index) => ({
    index,
    x: decision.x,
    decision: decision.decision,
    title: `+${formatNumber(decision.x)}m ${decision.decision} at ${decision.weight}%: ${decision.reasons[0] ?? ''}`,
  }));
  const weightPoints: ChartPoint[] = record.series.filter((point) => xOf(point.minute) <= xMax).map((point) => ({ x: xOf(point.minute), y: point.weight }));
  if (weightPoints.length) weightPoints.push({ x: Math.min(xMax, weightPoints.at(-1)!.x + 1), y: weightPoints.at(-1)!.y });
  // Stable and candidate side by side, with every decision marked.
  const versusChart = (title: string, unit: string, pointsOf: (version: 'stable' | 'candidate') => ChartPoint[], rules: ChartRule[] = []) =>
    renderChart({
      title,
      unit,
      xMax,
      markers,
      rules,
      series: [
        { label: 'stable', className: 'stable', points: pointsOf('stable') },
        { label: 'candidate', className: 'candidate', points: pointsOf('candidate') },
      ],
    });
  const plan = planOf(record);
  const analysis = plan && isObject(plan.analysis) ? plan.analysis : {};
  const lastErrors = [...decisions].reverse().map((look) => look.checks.find((check) => check.name === 'errors')?.figures).find((figures) => figures !== undefined) ?? {};
  const errorRules: ChartRule[] = [
    ...(typeof lastErrors.promotionBar === 'number' ? [{ y: lastErrors.promotionBar * 100, label: 'promotion bar', className: 'bar' }] : []),
    ...(typeof analysis.maxErrorRate === 'number' ? [{ y: analysis.maxErrorRate * 100, label: 'guardrail', className: 'guardrail' }] : []),
  ];
  const charts = [
    renderChart({ title: 'Candidate weight', unit: '%', xMax, yMax: 100, markers, series: [{ label: 'candidate %', className: 'weight', points: weightPoints, step: true }] }),
    versusChart(`Error rate (${ROLLING_MINUTES}-minute rolling)`, '%', (version) => rollingRate(record, version, t0, xMax), errorRules),
    ...checkCharts(decisions, xMax, markers),
    versusChart('p99 latency', ' ms', (version) => p99Of(record, version, t0, xMax), typeof analysis.maxP99Ms === 'number' ? [{ y: analysis.maxP99Ms, label: 'guardrail', className: 'guardrail' }] : []),
  ].join('\n');

  const strategy = plan && isObject(plan.strategy) ? plan.strategy : undefined;
  const strategyText = strategy
    ? `${escape(strategy.name)}<div class="note">${escape(Array.isArray(strategy.steps) ? strategy.steps.join('% → ') : '')}%${typeof strategy.intervalMinutes === 'number' ? `, ${strategy.intervalMinutes} min each` : ''}</div>`
    : '–';
  const versions = plan ? `${escape(plan.stableVersion)} → ${escape(plan.candidateVersion)}` : escape(summary.candidateVersion ?? '–');
  const alias = record.result.alias;
  const queue = isObject((record.result as unknown as Json).queue) ? ((record.result as unknown as Json).queue as Json) : undefined;
  const cards = [
    card('Outcome', `${outcomeBadge(summary)}`, verdictOnExpectation(summary)),
    card('Versions', versions, escape(summary.functionName ? `${summary.functionName}:${summary.alias ?? '?'}` : '')),
    card('Strategy', strategyText),
    card('To decision', record.result.minutesToDecision === null || record.result.minutesToDecision === undefined ? '–' : `${formatNumber(record.result.minutesToDecision)} min`, `ran ${formatNumber(summary.durationMinutes)} min (simulated)`),
    card('Excess failures', formatNumber(record.result.excessFailures), 'candidate failures beyond stable’s rate'),
    card('Alias after', alias ? `v${escape(alias.version)}` : '–', alias && Object.keys(alias.routing).length ? `routing ${escape(JSON.stringify(alias.routing))}` : 'no routing left'),
    ...(queue
      ? [card('Queue', `${formatNumber(Number(queue.succeeded))} / ${formatNumber(Number(queue.sent))}`, `dead-lettered ${formatNumber(Number(queue.deadLettered))} · redriven ${formatNumber(Number(queue.redriven))} · lost ${formatNumber(Number(queue.lost))}`)]
      : []),
  ].join('');

  const decisionRows = groupDecisions(decisions)
    .map(({ first, last: decision, count, from }) => {
      const figures = readableFigures(decision.figures)
        .map(([key, value]) => `<span class="figure"><span class="key">${escape(figureLabel(key))}</span> ${escape(figureValue(value))}</span>`)
        .join('');
      const when = count > 1 ? `+${minutes(first.x)}–${minutes(decision.x)}m` : `+${minutes(decision.x)}m`;
      const times = count > 1 ? ` <span class="times">×${count}</span>` : '';
      return `<tr class="decision-${escape(decision.decision)}" data-from="${from}" data-to="${from + count - 1}"><td class="num">${when}</td><td class="num">${formatNumber(decision.weight)}%</td><td>${decisionBadge(decision)}${times}</td><td><ul class="reasons">${decision.reasons.map((reason) => `<li>${escape(reason)}</li>`).join('')}</ul>${figures ? `<div class="figures">${figures}</div>` : ''}</td></tr>`;
    })
    .join('\n');
  const events = record.events
    .map((event) => {
      const detail = event.error ? `${event.error}${event.cause ? `: ${event.cause}` : ''}` : '';
      return `<tr><td class="num">+${formatNumber(Math.round(xOf(event.at) * 10) / 10)}m</td><td>${escape(event.type)}</td><td>${escape(event.state ?? '')}</td><td class="muted">${escape(detail)}</td></tr>`;
    })
    .join('');

  const body = `<nav class="crumbs"><a href="/">← All executions</a></nav>
<h1>${escape(record.name)}</h1>
<p class="lead">${outcomeBadge(summary)} <span class="reason">${escape(record.result.reason)}</span></p>
<p class="muted">Scenario <strong>${escape(record.scenario.name)}</strong>: ${escape(record.scenario.description)} · seed ${escape(record.seed)} · started ${escape(record.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''))} (simulated)</p>
${strategy && Array.isArray(strategy.steps) ? stepTimeline(decisions, strategy.steps.filter((step): step is number => typeof step === 'number'), record.result.outcome) : ''}
<section class="cards">${cards}</section>
<section class="panels">
<div class="panel graph-panel"><h2>State machine</h2><p class="muted">The path this execution took is highlighted; ×N counts the visits. Click a state for its input and output.</p><div class="graph-scroll">${renderGraph(record.definition, pathOf(record.events))}</div></div>
<div class="panel charts-panel"><h2>Traffic and metrics</h2><p class="muted">Markers show each decision: <span class="key-advance">advance</span> · <span class="key-hold">hold</span> · <span class="key-promote">promote</span> · <span class="key-rollback">rollback</span> · <span class="key-await-approval">await-approval</span> (waits for a person).</p>${charts}</div>
</section>
<section class="panel"><h2>Decisions <span class="count">${decisions.length}</span></h2>
${decisions.length ? `<div class="table-scroll"><table class="decisions"><thead><tr><th class="num">When</th><th class="num">Weight</th><th>Decision</th><th>Reasons and figures</th></tr></thead><tbody>${decisionRows}</tbody></table></div>` : '<p class="empty">No decisions: the canary ended before the judge looked.</p>'}
</section>
<section class="panel states-panel"><h2>States</h2><p class="muted">Each state this execution entered, with the input and output of its visits.</p>${statesSection(record, xOf)}</section>
<section class="panel"><details><summary>Events <span class="count">${record.events.length}</span></summary><div class="table-scroll"><table class="events"><tbody>${events}</tbody></table></div></details></section>`;
  return layout(record.name, body);
}

/** Visits of one state: what went in and what came out, newest last, in collapsed sections. */
function statesSection(record: ViewerRecord, xOf: (iso: string) => number): string {
  const visits = new Map<string, { at: string; input?: unknown; output?: unknown; error?: string }[]>();
  for (const event of record.events) {
    if (!event.state) continue;
    const list = visits.get(event.state) ?? [];
    if (event.type.endsWith('StateEntered')) list.push({ at: event.at, ...(event.input !== undefined ? { input: event.input } : {}) });
    else if (event.type.endsWith('StateExited') && list.length) list.at(-1)!.output = event.output;
    else if (event.error && list.length) list.at(-1)!.error = `${event.error}${event.cause ? `: ${event.cause}` : ''}`;
    visits.set(event.state, list);
  }
  // A record keeps these visits' inputs and outputs whole, the earlier ones' not.
  const shown = VISITS_KEPT;
  return [...visits.entries()]
    .map(([state, list]) => {
      const rows = list.slice(-shown).map((visit) => {
        const json = (value: unknown) => escape(JSON.stringify(value, null, 2));
        return `<div class="visit"><div class="muted">+${formatNumber(Math.round(xOf(visit.at) * 10) / 10)}m${visit.error ? ` · <span class="error">${escape(visit.error)}</span>` : ''}</div><div class="io"><div><h3>Input</h3><pre>${visit.input === undefined ? '–' : json(visit.input)}</pre></div><div><h3>Output</h3><pre>${visit.output === undefined ? '–' : json(visit.output)}</pre></div></div></div>`;
      });
      const more = list.length > shown ? `<p class="muted">The last ${shown} of ${list.length} visits.</p>` : '';
      return `<details class="state" id="${stateAnchor(state)}"><summary>${escape(state)} <span class="count">${list.length}</span></summary>${more}${rows.join('')}</details>`;
    })
    .join('');
}

export function notFoundPage(what: string): string {
  return layout('Not found', `<nav class="crumbs"><a href="/">← All executions</a></nav><h1>Not found</h1><p>${escape(what)}</p>`);
}

export function errorPage(message: string): string {
  return layout('Error', `<nav class="crumbs"><a href="/">← All executions</a></nav><h1>Could not show this</h1><p>${escape(message)}</p>`);
}
