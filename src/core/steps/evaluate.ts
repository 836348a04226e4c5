/**
 * Evaluate: reads the minutes that settled since the last look (and re-reads those whose slowest
 * invocations may still be arriving: src/core/late-metrics.ts) and takes one look (the judge, then
 * decide()).
 */
import { firingAlarms, holdWhileAlarmsFire } from '../alarm-hold.ts';
import { applyControls } from '../controls.ts';
import type { Judge } from '../judge/index.ts';
import { minutesUntilComplete, rereadFrom, withLateArrivals } from '../late-metrics.ts';
import { nextColdStartQuery, withColdStarts, type ColdStartResults } from '../cold-start-query.ts';
import { look, queueJudgeSetup } from '../look.ts';
import { readOwnerMark } from '../ownership.ts';
import type { MetricsSource, Ports } from '../ports.ts';
import type { CanaryState } from '../state.ts';
import { judgedIntervalMinutes, nextLookAfter } from '../clock.ts';
import { addSeconds, floorMinute, iso, minutesBetween } from '../time.ts';
import { lookAfterPromotion } from './after-promotion.ts';
import { assertOwned } from './alias-rules.ts';
import { parsePayload, queueRef, statePayload } from './payload.ts';

/** Evaluate reads only the minutes (`versionMinutes`); the baseline is Plan's. */
export function createEvaluate({ router, metrics, clock }: Pick<Ports, 'router' | 'clock'> & { metrics: Pick<MetricsSource, 'versionMinutes'> }, judge: Judge) {
  return async function evaluate(payload: unknown): Promise<CanaryState> {
    const { state: input, execution } = parsePayload(statePayload, payload, 'Evaluate');
    // The cold-start query's results and the gate's alarms are read here, and not carried on.
    const { coldStartResults, firingAlarms: described, ...state } = input;
    // After promotion the alias is no longer marked: the look is against the bar alone.
    if (state.progress.bake) return lookAfterPromotion({ router, metrics, clock }, state);
    const { plan: p, progress } = state;
    // The alias' mark also carries what an operator asked (coalmine pause, coalmine promote).
    const alias = assertOwned(await router.getAlias(p.functionName, p.alias), state, execution);

    const now = clock.now();
    const settledEnd = floorMinute(addSeconds(now, -p.analysis.settleSeconds));
    const judgedUntil = new Date(progress.judgedUntil ?? p.startedAt);
    const stepStart = new Date(progress.stepStartedAt ?? p.startedAt);
    const windowEnd = settledEnd > judgedUntil ? settledEnd : judgedUntil;
    // API functions: re-read the minutes whose slow invocations may still be arriving (SQS canaries
    // read the queue's in-flight count for batches still running).
    const rereading = p.trigger === 'api' && p.functionTimeoutSeconds !== undefined;
    const readFrom = rereading ? rereadFrom({ now, settleSeconds: p.analysis.settleSeconds, timeoutSeconds: p.functionTimeoutSeconds!, judgedUntil }) : judgedUntil;
    const read = await metrics.versionMinutes({
      functionName: p.functionName,
      alias: p.alias,
      stableVersion: p.stableVersion,
      candidateVersion: p.candidateVersion,
      start: iso(readFrom),
      end: iso(windowEnd),
      ...(p.baseline.latencyThresholdMs === undefined ? {} : { slowThresholdMs: p.baseline.latencyThresholdMs }),
      ...(p.baseline.medianMs && p.trigger === 'api' ? { medianThresholdsMs: { stable: p.baseline.medianMs, candidate: p.baseline.medianMs * p.analysis.costTolerance } } : {}),
      ...(p.analysis.customMetrics.length ? { customMetrics: p.analysis.customMetrics.map(({ id, namespace, metricName, dimensions, versionDimension, kind }) => ({ id, namespace, metricName, dimensions, versionDimension, stat: kind === 'count' ? ('Sum' as const) : ('Average' as const) })) } : {}),
      ...(p.queue ? { queue: queueRef(p.queue) } : {}),
    });
    const arrivals = rereading ? withLateArrivals(read.minutes, progress.recentCounts, judgedUntil, readFrom) : undefined;
    const minutes = arrivals ? arrivals.minutes : read.minutes;
    // Cold starts: the first look has no query before it (its minutes are left out); every later one reads what the query returned.
    const coldStarts = p.coldStarts && progress.coldStartQuery ? withColdStarts(minutes, coldStartResults as ColdStartResults, p, addSeconds(stepStart, 60)) : undefined;
    const window = { minutes: coldStarts?.minutes ?? minutes, failures: [...read.failures, ...(coldStarts?.failures ?? [])] };

    const minutesInStep = Math.max(0, minutesBetween(stepStart, windowEnd));
    const isFinalStep = progress.stepIndex === p.strategy.steps.length - 1;
    // A step before the last ends with its interval on the clock (src/core/clock.ts); promotion waits
    // until the final step's first minutes are complete, late arrivals included.
    const intervalMinutes = !isFinalStep
      ? judgedIntervalMinutes(p.strategy.intervalMinutes, p.analysis, false)
      : rereading
        ? Math.max(p.strategy.intervalMinutes, minutesUntilComplete(p.functionTimeoutSeconds!, p.analysis.settleSeconds))
        : p.strategy.intervalMinutes;
    const looked = look(judge, {
      memory: progress.judge,
      window,
      baseline: p.baseline,
      settings: p.analysis,
      trigger: p.trigger,
      strategy: { steps: p.strategy.steps, intervalMinutes },
      stepIndex: progress.stepIndex,
      weight: progress.weight,
      minutesInStep,
      queue: p.queue && queueJudgeSetup(p.queue),
      memoryMB: p.memoryMB,
      coldStarts: p.coldStarts !== undefined,
      concurrency: p.concurrency,
      minutesSinceFirstShift: Math.max(0, minutesBetween(new Date(progress.firstShiftAt ?? progress.stepStartedAt ?? p.startedAt), now)),
      promotion: p.promotion,
    });
    // While a gate's alarm fires the canary holds where it is (src/core/alarm-hold.ts); the operator's controls apply after.
    const firing = firingAlarms(described, p.gates?.alarms ?? []);
    const held = { ...looked, ...holdWhileAlarmsFire(looked, { firing, minutesInStep, intervalMinutes, maxExtensionMinutes: p.analysis.maxExtensionMinutes }) };
    const { assessment } = held;
    const step = `Step ${progress.stepIndex + 1} of ${p.strategy.steps.length} (${progress.weight}%)`;
    const { decision, reasons, rollbackKind, pausedSince, awaitingApprovalSince } = applyControls(held, {
      control: readOwnerMark(alias.description)?.control,
      approval: p.approval,
      pausedSince: progress.pausedSince,
      awaitingApprovalSince: progress.awaitingApprovalSince,
      // Waits count judged minutes: the look that starts one marks it with the minute it judged up to.
      now: windowEnd,
      limitMinutes: p.analysis.maxExtensionMinutes,
      step: step.toLowerCase(),
    });
    const { pausedSince: _paused, awaitingApprovalSince: _awaiting, ...kept } = progress;
    return {
      ...state,
      status: `${step}: ${rollbackKind === 'inconclusive' ? 'rollback (inconclusive)' : decision} — ${reasons[0] ?? 'no reason given'}`,
      progress: {
        ...kept,
        revisionId: alias.revisionId,
        ...(pausedSince ? { pausedSince } : {}),
        ...(awaitingApprovalSince ? { awaitingApprovalSince } : {}),
        judgedUntil: iso(windowEnd),
        // While it waits for approval (a minute at a time, "Wait for approval") it looks every minute.
        nextEvaluationAt: iso(nextLookAfter(now, { ...p.analysis, evaluationMinutes: decision === 'await-approval' ? 1 : p.analysis.evaluationMinutes })),
        decision,
        judge: assessment.memory,
        ...(arrivals ? { recentCounts: arrivals.seen } : {}),
        evaluations: progress.evaluations + 1,
        ...(p.coldStarts ? { coldStartQuery: nextColdStartQuery(p.coldStarts.logGroupName, p, windowEnd) } : {}),
      },
      verdict: { decision, ...(rollbackKind ? { rollbackKind } : {}), reasons, figures: { ...assessment.figures, ...(arrivals?.lateMinutes ? { lateMinutesReread: arrivals.lateMinutes } : {}), ...(p.gates?.alarms.length ? { alarmsInAlarm: firing.length } : {}) }, ...(assessment.checks ? { checks: assessment.checks } : {}) },
    };
  };
}
