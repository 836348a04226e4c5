/**
 * The canary's steps, one per Task state of statemachine/canary.asl.json. The Lambda handlers
 * (functions/*) and the local runner (src/local) both run exactly this code; only the ports differ.
 * Each step parses its payload, works through the ports, and returns the next execution state.
 * Errors are thrown, never swallowed, so the state machine's Retry and Catch see them.
 */
import * as z from 'zod';
import {
  AliasAlreadyRoutedError,
  AliasChangedError,
  CanaryInProgressError,
  FunctionNotFoundError,
  InvalidRequestError,
  InvalidVersionError,
} from './errors.ts';
import { decide } from './decide.ts';
import type { Assessment, JudgeInput } from './judge/types.ts';
import { ownerMark, readOwnerMark } from './ownership.ts';
import type { AliasState, Ports } from './ports.ts';
import { parseRequest, type CanaryRequest } from './request.ts';
import {
  canaryStateSchema,
  executionRefSchema,
  outcomeTitle,
  type CanaryState,
  type ExecutionRef,
  type Outcome,
  type Plan,
  type RollbackKind,
} from './state.ts';
import { DEFAULT_API_STRATEGY, type Strategy } from './strategy.ts';
import { addSeconds, ceilMinute, floorMinute, iso, minutesBetween } from './time.ts';
import { normaliseTrigger } from './trigger.ts';
import { discoverQueue, redriveDelaySeconds } from './sqs.ts';
import { queueJudgeSetup } from './judge/queue.ts';

export type Judge = (input: JudgeInput) => Assessment;

/** What Plan returns for an event about a function that has not opted in: the execution succeeds doing nothing. */
export interface Skipped {
  skipped: true;
  status: string;
}

export interface Steps {
  plan(payload: unknown): Promise<CanaryState | Skipped>;
  shift(payload: unknown): Promise<CanaryState>;
  evaluate(payload: unknown): Promise<CanaryState>;
  promote(payload: unknown): Promise<CanaryState>;
  rollback(payload: unknown): Promise<unknown>;
  redrive(payload: unknown): Promise<CanaryState>;
  cleanup(event: unknown): Promise<CleanupResult>;
}

export interface CleanupResult {
  /** `released`: someone else had changed the alias; their routing was kept and only the mark taken off. */
  action: 'restored' | 'released' | 'none';
  reason: string;
  functionName?: string;
  alias?: string;
  version?: string;
}

/** The tag by which a function opts in to canaries started by `PublishVersion` events. */
export const OPT_IN_TAG = 'coalmine:alias';
export const STRATEGY_TAG = 'coalmine:strategy';

const planPayload = z.object({ request: z.unknown(), execution: executionRefSchema });
const statePayload = z.object({ state: canaryStateSchema, execution: executionRefSchema });
const rollbackPayload = z.object({ state: z.record(z.string(), z.unknown()), execution: executionRefSchema });

/**
 * Wires the steps to a set of ports.
 *
 * @example
 * const steps = createSteps(awsPorts(), { judge: assess });
 * export const handler = (event: unknown) => steps.shift(event);
 */
export function createSteps(ports: Ports, options: { judge: Judge }): Steps {
  const { router, functions, metrics, queues, clock } = ports;

  async function plan(payload: unknown): Promise<CanaryState | Skipped> {
    const { request: input, execution } = parsePayload(planPayload, payload, 'Plan');
    const trigger = normaliseTrigger(input);
    let rawRequest: unknown;
    if (trigger.kind === 'published-version') {
      const fn = await functions.getFunction(trigger.functionName);
      const alias = fn.tags[OPT_IN_TAG];
      if (!alias) {
        return { skipped: true, status: `Skipped: ${fn.functionName} has no "${OPT_IN_TAG}" tag, so version ${trigger.version} is not canaried` };
      }
      const strategy = fn.tags[STRATEGY_TAG];
      rawRequest = { functionName: fn.functionName, alias, candidateVersion: trigger.version, ...(strategy ? { strategy } : {}) };
    } else {
      rawRequest = trigger.request;
    }
    const request = parseRequest(rawRequest);

    // Everything is checked before the alias is touched.
    const fn = await functions.getFunction(request.functionName);
    if (request.functionArn !== undefined && request.functionArn !== fn.functionArn) {
      // Only the name reaches the Lambda API: an ARN of another account or region would canary this one's namesake.
      throw new FunctionNotFoundError(`functionName: ${request.functionArn} is not in Coalmine's account and region (${fn.functionArn}); deploy Coalmine there`);
    }
    const alias = await router.getAlias(fn.functionName, request.alias);
    const mark = readOwnerMark(alias.description);
    if (mark && mark.owner !== execution.name) {
      throw new CanaryInProgressError(`alias ${fn.functionName}:${alias.name} is in a canary run by execution ${mark.owner}; wait for it or abort it (if that execution no longer runs, remove the coalmine-canary mark from the alias description)`);
    }
    const retryOfThisPlan = mark?.owner === execution.name;
    if (!retryOfThisPlan && Object.keys(alias.weights).length > 0) {
      throw new AliasAlreadyRoutedError(`alias ${fn.functionName}:${alias.name} already splits traffic (${describeRouting(alias)}); point it at one version first`);
    }
    const stableVersion = retryOfThisPlan ? mark.stable : (request.stableVersion ?? alias.version);
    if (!retryOfThisPlan && request.stableVersion !== undefined && request.stableVersion !== alias.version) {
      throw new InvalidVersionError(`stableVersion: alias ${alias.name} points at version ${alias.version}, not ${request.stableVersion}`);
    }
    const candidateVersion = resolveCandidate(request, fn.versions);
    if (!fn.versions.includes(stableVersion)) {
      throw new InvalidVersionError(`stableVersion: ${fn.functionName} has no published version ${stableVersion}`);
    }
    if (candidateVersion === stableVersion) {
      throw new InvalidVersionError(`candidateVersion: version ${candidateVersion} is already the stable version of ${alias.name}; nothing to canary`);
    }

    const queue = await discoverQueue({ queues, fn, alias: alias.name, allowFifo: request.allowFifo });
    const strategy: Strategy = request.strategy ?? queue?.defaultStrategy ?? DEFAULT_API_STRATEGY;
    const analysis = request.analysis;

    const now = clock.now();
    const baselineEnd = floorMinute(addSeconds(now, -analysis.settleSeconds));
    const baseline = await metrics.baseline({
      functionName: fn.functionName,
      alias: alias.name,
      version: stableVersion,
      start: iso(addSeconds(baselineEnd, -60 * analysis.baselineMinutes)),
      end: iso(baselineEnd),
      percentile: analysis.latencyPercentile,
      ...(queue ? { queue: queueRef(queue.plan) } : {}),
    });
    const dlqDepthAtStart = queue?.plan.dlq ? await queues.depth(queue.plan.dlq.url) : undefined;

    const originalDescription = retryOfThisPlan ? mark.original : alias.description;
    const taken = retryOfThisPlan
      ? alias
      : await router.updateAlias(
          fn.functionName,
          alias.name,
          { description: ownerMark({ owner: execution.name, stable: stableVersion, candidate: candidateVersion, original: originalDescription }) },
          alias.revisionId,
        );

    const planned: Plan = {
      functionName: fn.functionName,
      alias: alias.name,
      stableVersion,
      candidateVersion,
      trigger: queue ? 'sqs' : 'api',
      strategy,
      analysis,
      owner: execution.name,
      originalDescription,
      startedAt: iso(now),
      baseline: {
        minutes: baseline.minutes,
        invocations: baseline.invocations,
        errors: baseline.errors,
        ...(baseline.latencyThresholdMs === undefined ? {} : { latencyThresholdMs: round(baseline.latencyThresholdMs, 1) }),
        ...(queue && baseline.queue ? { queue: baseline.queue } : {}),
      },
      ...(queue ? { queue: { ...queue.plan, ...(dlqDepthAtStart === undefined ? {} : { dlqDepthAtStart }) } } : {}),
      redriveOnRollback: request.redriveOnRollback,
      warnings: [...(queue?.warnings ?? []), ...(trigger.source === 'request' ? [] : [`started by ${trigger.source}`])],
    };
    const steps = strategy.steps;
    return {
      status: `Planned: ${fn.functionName}:${alias.name} from version ${stableVersion} to ${candidateVersion}, ${steps.length ? `${steps.map((w) => `${w}%`).join(' → ')} → 100%, ${strategy.intervalMinutes} min a step` : 'all at once'}`,
      plan: planned,
      progress: {
        stepIndex: -1,
        weight: 0,
        revisionId: taken.revisionId,
        judgedUntil: iso(floorMinute(now)),
        decision: steps.length ? 'advance' : 'promote',
        evaluations: 0,
      },
    };
  }

  async function shift(payload: unknown): Promise<CanaryState> {
    const { state, execution } = parsePayload(statePayload, payload, 'Shift');
    const { plan: p, progress } = state;
    const stepIndex = progress.stepIndex + 1;
    const weight = p.strategy.steps[stepIndex];
    if (weight === undefined) throw new InvalidRequestError(`progress.stepIndex: no step ${stepIndex + 1} in a ${p.strategy.steps.length}-step strategy`);
    const target = { version: p.stableVersion, weights: { [p.candidateVersion]: weight } };

    const alias = await router.getAlias(p.functionName, p.alias);
    const alreadyThere = isOwnedBy(alias, execution) && sameRouting(alias, target);
    const updated = alreadyThere ? alias : await router.updateAlias(p.functionName, p.alias, target, assertOwned(alias, state, execution).revisionId);

    const now = clock.now();
    const stepStart = ceilMinute(now);
    return {
      ...withoutVerdict(state),
      status: `Step ${stepIndex + 1} of ${p.strategy.steps.length}: ${weight}% of ${p.functionName}:${p.alias} on version ${p.candidateVersion}`,
      progress: {
        ...progress,
        stepIndex,
        weight,
        revisionId: updated.revisionId,
        stepStartedAt: iso(stepStart),
        nextEvaluationAt: iso(nextLook(stepStart, p)),
        decision: 'hold',
      },
    };
  }

  async function evaluate(payload: unknown): Promise<CanaryState> {
    const { state, execution } = parsePayload(statePayload, payload, 'Evaluate');
    const { plan: p, progress } = state;
    assertOwned(await router.getAlias(p.functionName, p.alias), state, execution);

    const now = clock.now();
    const settledEnd = floorMinute(addSeconds(now, -p.analysis.settleSeconds));
    const judgedUntil = new Date(progress.judgedUntil ?? p.startedAt);
    const stepStart = new Date(progress.stepStartedAt ?? p.startedAt);
    const windowEnd = settledEnd > judgedUntil ? settledEnd : judgedUntil;
    const window = await metrics.versionMinutes({
      functionName: p.functionName,
      alias: p.alias,
      stableVersion: p.stableVersion,
      candidateVersion: p.candidateVersion,
      start: iso(judgedUntil),
      end: iso(windowEnd),
      ...(p.baseline.latencyThresholdMs === undefined ? {} : { slowThresholdMs: p.baseline.latencyThresholdMs }),
      ...(p.analysis.customMetrics.length ? { customMetrics: p.analysis.customMetrics.map(({ id, namespace, metricName, dimensions, versionDimension, kind }) => ({ id, namespace, metricName, dimensions, versionDimension, stat: kind === 'count' ? ('Sum' as const) : ('Average' as const) })) } : {}),
      ...(p.queue ? { queue: queueRef(p.queue) } : {}),
    });

    const minutesInStep = Math.max(0, minutesBetween(stepStart, windowEnd));
    const isFinalStep = progress.stepIndex === p.strategy.steps.length - 1;
    const assessment = options.judge({
      memory: progress.judge,
      window,
      baseline: p.baseline,
      context: { trigger: p.trigger, stepIndex: progress.stepIndex, stepCount: p.strategy.steps.length, weight: progress.weight, isFinalStep, minutesInStep, ...(p.queue ? { queue: queueJudgeSetup(p.queue) } : {}) },
      settings: p.analysis,
    });
    const { decision, reasons, rollbackKind } = decide({
      assessment,
      minutesInStep,
      intervalMinutes: p.strategy.intervalMinutes,
      isFinalStep,
      maxExtensionMinutes: p.analysis.maxExtensionMinutes,
    });
    const step = `Step ${progress.stepIndex + 1} of ${p.strategy.steps.length} (${progress.weight}%)`;
    return {
      ...state,
      status: `${step}: ${rollbackKind === 'inconclusive' ? 'rollback (inconclusive)' : decision} — ${reasons[0] ?? 'no reason given'}`,
      progress: {
        ...progress,
        judgedUntil: iso(windowEnd),
        nextEvaluationAt: iso(addSeconds(now, 60 * p.analysis.evaluationMinutes)),
        decision,
        judge: assessment.memory,
        evaluations: progress.evaluations + 1,
      },
      verdict: { decision, ...(rollbackKind ? { rollbackKind } : {}), reasons, figures: assessment.figures, ...(assessment.checks ? { checks: assessment.checks } : {}) },
    };
  }

  async function promote(payload: unknown): Promise<CanaryState> {
    const { state, execution } = parsePayload(statePayload, payload, 'Promote');
    const { plan: p } = state;
    const target = { version: p.candidateVersion, weights: {}, description: p.originalDescription };
    const alias = await router.getAlias(p.functionName, p.alias);
    // A retry after a promotion whose answer was lost finds the alias already promoted and let go.
    const done = !readOwnerMark(alias.description) && sameRouting(alias, target) && alias.description === p.originalDescription;
    const after = done ? alias : await router.updateAlias(p.functionName, p.alias, target, assertOwned(alias, state, execution).revisionId);
    const reason = p.strategy.steps.length === 0
      ? `promoted all at once (${p.strategy.name})`
      : `promoted after ${p.strategy.steps.length} step${p.strategy.steps.length === 1 ? '' : 's'}: ${state.verdict?.reasons[0] ?? 'the judge found no harm'}`;
    return finish(state, { result: 'promoted', rollbackKind: null, reason, alias: after }, clock.now());
  }

  async function rollback(payload: unknown): Promise<unknown> {
    const { state: raw, execution } = parsePayload(rollbackPayload, payload, 'Rollback');
    const error = parseError(raw['error']);
    const parsedState = canaryStateSchema.safeParse(raw);
    if (!parsedState.success) return rollbackWithoutPlan(raw, error, execution);
    const state = parsedState.data;
    const { plan: p } = state;

    const alias = await router.getAlias(p.functionName, p.alias);
    const mark = readOwnerMark(alias.description);
    const ours = mark?.owner === execution.name;
    // A routing this canary writes itself may carry a newer revision than the state knows: a Shift
    // whose answer was lost (its Lambda timed out after UpdateAlias). That is ours to undo, not someone else's.
    const changedBySomeoneElse = ours && alias.revisionId !== state.progress.revisionId && !isCanaryRouting(alias, mark, p.strategy.steps);
    let after = alias;
    const notes: string[] = [];
    if (ours && changedBySomeoneElse) {
      // Someone changed the alias mid-canary but left our mark: keep their version and routing,
      // only take our mark off (against their revision, so a newer change is not overwritten).
      after = await router.updateAlias(p.functionName, p.alias, { description: mark.original }, alias.revisionId);
      notes.push(`alias ${p.alias} was changed by someone else; Coalmine left their change (version ${alias.version}${routingNote(alias)}) and let go of the alias`);
    } else if (ours) {
      after = await router.updateAlias(p.functionName, p.alias, { version: p.stableVersion, weights: {}, description: p.originalDescription }, alias.revisionId);
    } else if (mark) {
      notes.push(`alias ${p.alias} is owned by execution ${mark.owner}, not this one; left as it is`);
    } else if (!sameRouting(alias, { version: p.stableVersion, weights: {} })) {
      notes.push(`alias ${p.alias} was not owned by this execution any more (now version ${alias.version}${routingNote(alias)}); left as it is`);
    }

    const reason = error
      ? `${error.Error}: ${causeMessage(error.Cause)}`
      : (state.verdict?.reasons[0] ?? 'rolled back');
    // A state from before verdicts said their kind was rolled back on a judged verdict: a regression.
    const rollbackKind = error ? 'error' : (state.verdict?.rollbackKind ?? 'regression');
    const ended = finish(state, { result: error ? 'failed' : 'rolled-back', rollbackKind, reason: [reason, ...notes].join('; '), alias: after }, clock.now());
    // Dead letters are moved back only once the alias is fully on stable, and only after the
    // messages the candidate failed last have had a visibility timeout to reach the DLQ.
    if (p.queue?.dlq && p.redriveOnRollback && sameRouting(after, { version: p.stableVersion, weights: {} })) {
      const at = addSeconds(clock.now(), redriveDelaySeconds(p.queue));
      return { ...ended, status: `${ended.status}; the canary's dead letters go back to ${p.queue.queueName} at ${iso(at)}`, redrive: { at: iso(at) } };
    }
    return ended;
  }

  async function redrive(payload: unknown): Promise<CanaryState> {
    const { state, execution: _execution } = parsePayload(statePayload, payload, 'Redrive');
    const { plan: p, outcome } = state;
    if (!p.queue?.dlq || !outcome) throw new InvalidRequestError('Redrive input: state has no DLQ or no outcome; nothing to redrive');
    const moved = await queues.redrive({ url: p.queue.dlq.url, arn: p.queue.dlq.arn }, { url: p.queue.queueUrl, arn: p.queue.queueArn }, p.startedAt);
    const { redrive: _redrive, ...rest } = state;
    return {
      ...rest,
      status: `${outcomeTitle(outcome)}: ${p.functionName}:${p.alias} is on version ${outcome.alias.version}; ${moved} dead letter${moved === 1 ? '' : 's'} of the canary moved back to ${p.queue.queueName}`,
      outcome: { ...outcome, redriven: moved },
    };
  }

  /** The Plan step failed: no plan in the state. Let go of the alias only if this execution took it. */
  async function rollbackWithoutPlan(raw: Record<string, unknown>, error: ErrorInfo | undefined, execution: ExecutionRef) {
    const reason = error ? `${error.Error}: ${causeMessage(error.Cause)}` : 'the canary never started';
    // The input is the execution's input, with the error that Catch added beside it.
    const { error: _error, ...input } = raw;
    const target = await restoreIfOwned(input, execution.name).catch(() => undefined);
    return {
      status: `Failed before the canary started: ${reason}`,
      error,
      outcome: {
        result: 'failed',
        rollbackKind: 'error',
        reason: target && target.action !== 'none' ? `${reason}; ${target.reason}` : `${reason}; the alias was not touched`,
        ...(target?.functionName ? { functionName: target.functionName, alias: target.alias } : {}),
        finishedAt: iso(clock.now()),
      },
    };
  }

  /** Restores the stable version recorded in the mark when `owner` still owns the alias. */
  async function restoreIfOwned(input: unknown, owner: string): Promise<CleanupResult> {
    const trigger = normaliseTrigger(input);
    let functionName: string;
    let aliasName: string;
    if (trigger.kind === 'published-version') {
      const fn = await functions.getFunction(trigger.functionName);
      const tagged = fn.tags[OPT_IN_TAG];
      if (!tagged) return { action: 'none', reason: `${fn.functionName} has not opted in; nothing to restore` };
      functionName = fn.functionName;
      aliasName = tagged;
    } else {
      const request = parseRequest(trigger.request);
      functionName = request.functionName;
      aliasName = request.alias;
    }
    const alias = await router.getAlias(functionName, aliasName);
    const mark = readOwnerMark(alias.description);
    if (mark?.owner !== owner) {
      return { action: 'none', reason: `alias ${functionName}:${aliasName} is not owned by ${owner}; left as it is`, functionName, alias: aliasName, version: alias.version };
    }
    if (!isCanaryRouting(alias, mark)) {
      // Someone changed the alias by hand but left the mark: keep their version and routing, only let go.
      const released = await router.updateAlias(functionName, aliasName, { description: mark.original }, alias.revisionId);
      return { action: 'released', reason: `alias ${functionName}:${aliasName} was changed by someone else (version ${released.version}${routingNote(released)}); Coalmine left their change and let go of the alias`, functionName, alias: aliasName, version: released.version };
    }
    const after = await router.updateAlias(functionName, aliasName, { version: mark.stable, weights: {}, description: mark.original }, alias.revisionId);
    return { action: 'restored', reason: `alias ${functionName}:${aliasName} restored to version ${after.version} and let go`, functionName, alias: aliasName, version: after.version };
  }

  async function cleanup(event: unknown): Promise<CleanupResult> {
    const parsed = statusChangeEvent.safeParse(event);
    if (!parsed.success) throw new InvalidRequestError(`event: not a Step Functions Execution Status Change event (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`);
    const { name, status, input } = parsed.data.detail;
    if (!['ABORTED', 'TIMED_OUT', 'FAILED'].includes(status)) return { action: 'none', reason: `execution ${name} is ${status}; nothing to clean up` };
    let request: unknown;
    try {
      request = JSON.parse(input ?? 'null');
    } catch {
      return { action: 'none', reason: `execution ${name}'s input is not JSON (it may have been truncated); cannot find its alias` };
    }
    const result = await restoreIfOwned(request, name);
    // Say why Cleanup ran: the person reading it was not there when the execution stopped.
    return { ...result, reason: `execution ${name} ${status === 'TIMED_OUT' ? 'timed out' : status.toLowerCase()}: ${result.reason}` };
  }

  return { plan, shift, evaluate, promote, rollback, redrive, cleanup };

  function finish(state: CanaryState, outcome: { result: Outcome['result']; rollbackKind: RollbackKind | null; reason: string; alias: AliasState }, now: Date): CanaryState {
    const { alias } = outcome;
    return {
      ...state,
      status: `${outcomeTitle(outcome)}: ${state.plan.functionName}:${state.plan.alias} is on version ${alias.version}${routingNote(alias)} — ${outcome.reason}`,
      outcome: {
        result: outcome.result,
        rollbackKind: outcome.rollbackKind,
        reason: outcome.reason,
        alias: { version: alias.version, routing: alias.weights },
        finishedAt: iso(now),
        ...(outcome.result !== 'failed' && state.verdict?.checks ? { checks: state.verdict.checks.map(({ figures: _figures, ...check }) => check) } : {}),
      },
    };
  }
}

const statusChangeEvent = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    input: z.string().nullable().optional(),
  }),
});

interface ErrorInfo {
  Error: string;
  Cause?: string;
}

function parseError(value: unknown): ErrorInfo | undefined {
  const parsed = z.object({ Error: z.string(), Cause: z.string().optional() }).safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Lambda errors reach Step Functions with a JSON cause; people want its message. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message itself
  }
  return cause.length > 500 ? `${cause.slice(0, 497)}...` : cause;
}

function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, step: string): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidRequestError(`${step} input: ${issue.path.map(String).join('.') || 'payload'}: ${issue.message}`);
  }
  return parsed.data;
}

function resolveCandidate(request: CanaryRequest, versions: string[]): string {
  if (request.candidateVersion === 'latest') {
    const newest = versions[versions.length - 1];
    if (!newest) throw new InvalidVersionError(`candidateVersion: ${request.functionName} has no published versions`);
    return newest;
  }
  if (!versions.includes(request.candidateVersion)) {
    throw new InvalidVersionError(`candidateVersion: ${request.functionName} has no published version ${request.candidateVersion}`);
  }
  return request.candidateVersion;
}

function isOwnedBy(alias: AliasState, execution: ExecutionRef): boolean {
  return readOwnerMark(alias.description)?.owner === execution.name;
}

/** The alias must still carry this execution's mark and the revision it last wrote. */
function assertOwned(alias: AliasState, state: CanaryState, execution: ExecutionRef): AliasState {
  const mark = readOwnerMark(alias.description);
  const where = `${state.plan.functionName}:${state.plan.alias}`;
  if (mark?.owner !== execution.name) {
    throw new AliasChangedError(`alias ${where} is no longer marked as this canary's (now version ${alias.version}${routingNote(alias)}); someone else changed it, and Coalmine leaves it as it is`);
  }
  if (alias.revisionId !== state.progress.revisionId) {
    throw new AliasChangedError(`alias ${where} was changed by someone else (now version ${alias.version}${routingNote(alias)}); Coalmine stops and leaves their change`);
  }
  return alias;
}

/**
 * True when the alias is routed as this canary itself routes it: on the stable version, with weight
 * only on the candidate (at one of `steps`, when the plan's steps are known). Anything else was done
 * by someone else.
 */
function isCanaryRouting(alias: AliasState, mark: { stable: string; candidate: string }, steps?: readonly number[]): boolean {
  const weighted = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
  return (
    alias.version === mark.stable &&
    weighted.every(([version, weight]) => version === mark.candidate && (steps === undefined || steps.some((step) => Math.abs(step - weight) < 1e-6)))
  );
}

function sameRouting(alias: AliasState, target: { version: string; weights: Record<string, number> }): boolean {
  const have = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
  const want = Object.entries(target.weights).filter(([, weight]) => weight > 0);
  return alias.version === target.version && have.length === want.length && want.every(([version, weight]) => Math.abs((alias.weights[version] ?? 0) - weight) < 1e-6);
}

function routingNote(alias: AliasState): string {
  const entries = Object.entries(alias.weights);
  return entries.length ? ` with ${entries.map(([version, weight]) => `${weight}% on ${version}`).join(', ')}` : ', no routing';
}

function describeRouting(alias: AliasState): string {
  return `version ${alias.version}${routingNote(alias)}`;
}

function withoutVerdict(state: CanaryState): CanaryState {
  const { verdict: _verdict, ...rest } = state;
  return rest;
}

/** The first look at a step: one evaluation period after the step starts, once that minute has settled. */
function nextLook(stepStart: Date, plan: Plan): Date {
  return addSeconds(stepStart, 60 * plan.analysis.evaluationMinutes + plan.analysis.settleSeconds);
}

/** The queue to read metrics of; the mapping's own counts only when it publishes them (MetricsConfig). */
function queueRef(queue: { queueName: string; dlq?: { name: string } | undefined; mappingId: string; metricsEnabled?: boolean | undefined }): { queueName: string; dlqName?: string; mappingId?: string } {
  return { queueName: queue.queueName, ...(queue.dlq ? { dlqName: queue.dlq.name } : {}), ...(queue.metricsEnabled ? { mappingId: queue.mappingId } : {}) };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
