/**
 * A made-up but complete execution record, for viewer tests that must not depend on the runner:
 * the real state machine definition, a canary that advances from 10% to 25% and is rolled back
 * there, per-minute series for both versions, and the Evaluate outputs with verdicts and figures.
 */
import { readFileSync } from 'node:fs';
import type { ExecutionEvent, ExecutionRecord, SeriesPoint } from '../../src/local/record.ts';
import type { Decision } from '../../src/core/state.ts';
import { aliasState, canaryPlan, progressAt } from '../helpers/factories.ts';

const DEFINITION = JSON.parse(readFileSync(new URL('../../statemachine/canary.asl.json', import.meta.url), 'utf8')) as unknown;

export interface FixtureOptions {
  name?: string;
  outcome?: 'promoted' | 'rolled-back';
  /** For a rollback: a found regression (default) or an inconclusive canary. */
  rollbackKind?: 'regression' | 'inconclusive';
  startedAt?: string;
}

export function fixtureRecord(options: FixtureOptions = {}): ExecutionRecord {
  const outcome = options.outcome ?? 'rolled-back';
  const rollbackKind = outcome === 'promoted' ? null : (options.rollbackKind ?? 'regression');
  const ending = rollbackKind === 'inconclusive' ? { state: 'Rolled back: inconclusive', error: 'CanaryInconclusive' } : { state: 'Rolled back', error: 'CanaryRolledBack' };
  const start = Date.parse(options.startedAt ?? '2024-05-14T09:00:00.000Z');
  const at = (minute: number) => new Date(start + minute * 60_000).toISOString();
  const plan = canaryPlan({ functionName: 'checkout-api', strategy: { name: 'Coalmine default', steps: [10, 25, 50], intervalMinutes: 5 } });
  const events: ExecutionEvent[] = [];
  const state = (minute: number, name: string, output?: unknown) => {
    events.push({ at: at(minute), type: 'StateEntered', state: name });
    events.push({ at: at(minute), type: 'StateExited', state: name, ...(output === undefined ? {} : { output }) });
  };
  events.push({ at: at(0), type: 'ExecutionStarted' });
  const progress = (weight: number, stepIndex: number, decision: Decision) => progressAt(weight, stepIndex, decision, { revisionId: 'r' });
  state(0, 'Plan the canary', { status: 'planned', plan, progress: progress(0, -1, 'advance') });
  state(0, 'Decide');
  const decisions: { minute: number; weight: number; stepIndex: number; decision: Decision; reasons: string[]; figures: Record<string, number | string> }[] = [];
  let weight = 10;
  let stepIndex = 0;
  let minute = 1;
  state(minute, 'Shift traffic', { plan, progress: progress(weight, stepIndex, 'hold') });
  const finalMinute = outcome === 'promoted' ? 16 : 11;
  for (let look = 1; minute < finalMinute; look++) {
    state(minute, 'Bake');
    minute += 1;
    let decision: Decision = 'hold';
    if (minute === 6 || (outcome === 'promoted' && minute === 11)) decision = 'advance';
    if (minute === finalMinute) decision = outcome === 'promoted' ? 'promote' : 'rollback';
    const reasons =
      decision === 'rollback'
        ? ['candidate fails 3.1× as often as stable (1.55% vs 0.50%); evidence 212 > 100 (α 0.01)', 'the error-rate ratio is at least 1.9 with 99% confidence']
        : decision === 'hold'
          ? ['not enough evidence yet: candidate 0.61% vs stable 0.50% on 240 requests']
          : ['candidate no worse than stable: 0.48% vs 0.50% on 1,204 requests; upper bound 0.72% below tolerance 0.75%'];
    const figures = { candidateErrors: 4 * look, candidateRequests: 60 * look * (weight / 10), stableErrors: 27 * look, stableRequests: 540 * look, evidence: decision === 'rollback' ? 212.4 : 1.7, ratioLower: decision === 'rollback' ? 1.9 : 0.4 };
    decisions.push({ minute, weight, stepIndex, decision, reasons, figures });
    state(minute, 'Evaluate the canary', { status: `${decision} at ${weight}%`, plan, progress: progress(weight, stepIndex, decision), verdict: { decision, reasons, figures } });
    state(minute, 'Decide');
    if (decision === 'advance') {
      stepIndex += 1;
      weight = [10, 25, 50][stepIndex]!;
      state(minute, 'Shift traffic', { plan, progress: progress(weight, stepIndex, 'hold') });
    }
  }
  const reason =
    outcome === 'promoted'
      ? 'candidate v13 served 50% without more errors or latency than v12; promoted'
      : 'candidate v13 fails 3.1× as often as v12 (1.55% vs 0.50%): rolled back at 25%';
  const aliasAfter = aliasState(outcome === 'promoted' ? '13' : '12');
  if (outcome === 'promoted') {
    state(minute, 'Promote the candidate', { outcome: { result: 'promoted', reason, alias: aliasAfter } });
    state(minute, 'Announce the promotion');
    events.push({ at: at(minute), type: 'StateEntered', state: 'Promoted' });
    events.push({ at: at(minute), type: 'ExecutionSucceeded' });
  } else {
    state(minute, 'Roll back', { outcome: { result: 'rolled-back', rollbackKind, reason, alias: aliasAfter } });
    state(minute, 'Announce the rollback');
    events.push({ at: at(minute), type: 'StateEntered', state: 'Regression or inconclusive?' });
    events.push({ at: at(minute), type: 'StateEntered', state: ending.state });
    events.push({ at: at(minute), type: 'ExecutionFailed', error: ending.error, cause: reason });
  }
  const series: SeriesPoint[] = [];
  for (let m = 0; m <= minute; m++) {
    const w = decisions.filter((d) => d.minute <= m).reduce((current, d) => (d.decision === 'advance' ? [10, 25, 50][d.stepIndex + 1]! : current), m >= 1 ? 10 : 0);
    const candidateRequests = Math.round(600 * (w / 100));
    const wobble = ((m * 7) % 5) / 10;
    const bad = outcome === 'rolled-back';
    series.push({
      minute: at(m),
      weight: m >= minute ? (outcome === 'promoted' ? 100 : 0) : w,
      stable: { invocations: 600 - candidateRequests, errors: Math.round((600 - candidateRequests) * (0.005 + wobble / 1000)), throttles: 0, p99Ms: 380 + wobble * 40 },
      candidate: candidateRequests ? { invocations: candidateRequests, errors: Math.round(candidateRequests * ((bad ? 0.016 : 0.005) + wobble / 1000)), throttles: 0, p99Ms: (bad ? 460 : 390) + wobble * 50 } : null,
    });
  }
  const name = options.name ?? `checkout-api_live_v13_1a2b3c4d-local-${outcome === 'promoted' ? 2 : 7}`;
  return {
    name,
    scenario: outcome === 'promoted' ? { name: 'healthy', description: 'candidate behaves like stable', expect: 'promote' } : { name: 'error-3x', description: 'candidate fails three times as often as stable', expect: 'rollback' },
    seed: outcome === 'promoted' ? 2 : 7,
    request: { functionName: 'checkout-api', alias: 'live', candidateVersion: '13' },
    startedAt: at(0),
    finishedAt: at(minute),
    recordedAt: '2024-05-14T09:30:00.000Z',
    result: {
      outcome,
      rollbackKind,
      reason,
      steps: decisions.map((d) => ({ weight: d.weight, minute: d.minute - 1, decision: d.decision as 'advance', reasons: d.reasons, checks: [] })),
      alias: aliasAfter,
      excessFailures: outcome === 'promoted' ? 0 : 9,
      minutesToDecision: minute - 1,
      ...(outcome === 'promoted' ? {} : { errorName: ending.error }),
      execution: name,
    },
    definition: DEFINITION,
    events,
    series,
  };
}
