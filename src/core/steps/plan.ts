/**
 * Plan: everything is checked before the alias is touched. It reads as the steps it takes: resolve
 * the request, check the alias, resolve the versions, discover the queue, measure the baseline, plan
 * for the traffic (src/core/forecast.ts), take the alias, build the plan.
 */
import { AliasAlreadyRoutedError, AliasChangedError, AliasNotFoundError, CanaryInProgressError, FunctionNotFoundError, InvalidRequestError, InvalidVersionError } from '../errors.ts';
import { checkAlarmsBeforeStart, checkStartWindows } from '../gates.ts';
import { checkCustomMetrics, checkStateSize, checkVersions } from '../limits.ts';
import { describeOwner, isOwner, ownerMark, readOwnerMark, type OwnerMark } from '../ownership.ts';
import { estimateTraffic, type CanaryPlanning, type Forecast } from '../forecast.ts';
import { planWithinLimits } from '../planning.ts';
import { readConcurrencyLimit } from '../concurrency.ts';
import type { AnalysisSettings } from '../judge/settings.ts';
import type { AliasState, Baseline, FunctionInfo, Ports, QueueHistorySummary, TrafficHistory } from '../ports.ts';
import { regionOf } from '../arn.ts';
import { round } from '../round.ts';
import { parseRequest, type CanaryRequest } from '../request.ts';
import { stableQueue, summariseQueueHistory } from '../judge/queue-baseline.ts';
import { queueJudgeSetup } from '../look.ts';
import { discoverQueue, type DiscoveredQueue } from '../sqs.ts';
import type { CanaryState, ExecutionRef, Plan } from '../state.ts';
import type { Strategy } from '../strategy.ts';
import { addSeconds, floorMinute, iso } from '../time.ts';
import { normaliseTrigger, type Trigger } from '../trigger.ts';
import { checkEventRequest, isEvent, OPT_IN_TAG } from '../trust.ts';
import { describeRouting } from './alias-rules.ts';
import { parsePayload, planPayload, queueRef } from './payload.ts';

/** Hours of the alias' history Plan reads where the baseline is too thin to estimate stable's rates. */
const HISTORY_HOURS = 24;

/** A function or alias Lambda does not know, named by the request's field that asked for it (`alias: …`). */
async function byField<T>(field: 'functionName' | 'alias', missing: string, find: () => Promise<T>): Promise<T> {
  try {
    return await find();
  } catch (error) {
    const line = `${field}: ${missing}; nothing was changed (${error instanceof Error ? error.message : String(error)})`;
    if (error instanceof FunctionNotFoundError) throw new FunctionNotFoundError(line, { cause: error });
    if (error instanceof AliasNotFoundError) throw new AliasNotFoundError(line, { cause: error });
    throw error;
  }
}

/** What Plan returns for an event about a function that has not opted in: the execution succeeds doing nothing. */
export interface Skipped {
  skipped: true;
  status: string;
}

/** The alias as Plan found it, checked free for this execution. */
interface CheckedAlias {
  fn: FunctionInfo;
  alias: AliasState;
  /** This execution's own mark: Plan is being retried after it took the alias. */
  retryOf: OwnerMark | undefined;
}

interface Versions {
  stableVersion: string;
  candidateVersion: string;
}

export function createPlan(ports: Pick<Ports, 'router' | 'functions' | 'metrics' | 'queues' | 'alarms' | 'clock'>) {
  const { router, functions, metrics, queues, alarms, clock } = ports;

  return async function plan(payload: unknown): Promise<CanaryState | Skipped> {
    const { request: input, execution } = parsePayload(planPayload, payload, 'Plan');
    const trigger = normaliseTrigger(input);
    const resolved = await resolveRequest(trigger);
    if ('skipped' in resolved) return resolved;
    const request = parseRequest(resolved.request);

    const checked = await checkAlias(request, execution);
    // An event may ask only for what the function's owner allowed events (src/core/trust.ts).
    const ownersStrategy = isEvent(trigger.source) ? checkEventRequest({ source: trigger.source, raw: resolved.request as Record<string, unknown>, request, functionName: checked.fn.functionName, tags: checked.fn.tags }) : undefined;
    const versions = resolveVersions(request, checked);
    await checkVersionConfigs(checked, versions);
    const queue = await discoverQueue({ queues, fn: checked.fn, alias: checked.alias.name, allowFifo: request.allowFifo });
    const now = clock.now();
    checkStartWindows(request.gates?.startWindows, now);
    checkAlarmsReadable(request.gates?.alarms ?? [], checked.fn, execution);
    await checkAlarmsBeforeStart(alarms, request.gates?.alarms ?? []);
    const baseline = await measureBaseline(request, checked, versions, queue, now);
    const { planning, analysis, planWarnings, historyWarnings, queueHistory } = await planForTraffic(request, checked, ownersStrategy, queue, baseline, now, isEvent(trigger.source));
    const strategy: Strategy = planning.strategy;
    if (request.approval && !strategy.steps.length) {
      throw new InvalidRequestError(`approval: "${request.approval}" needs a strategy with steps; ${strategy.name} shifts all at once, so there is no final step to wait at`);
    }
    checkCustomMetrics(request.analysis.customMetrics);
    const dlqDepthAtStart = queue?.plan.dlq ? await queues.depth(queue.plan.dlq.url) : undefined;
    const originalDescription = checked.retryOf ? checked.retryOf.original : checked.alias.description;
    const concurrency = queue ? { warnings: [] } : await readConcurrencyLimit(functions, checked.fn.functionName);

    const planned = buildPlan({ request, trigger, execution, checked, versions, queue, strategy, analysis, baseline: { ...baseline, ...(queueHistory ? { queueHistory } : {}) }, dlqDepthAtStart, originalDescription, now, planning, planWarnings: [...planWarnings, ...historyWarnings, ...concurrency.warnings] });
    if (concurrency.limit) planned.concurrency = concurrency.limit;
    checkStateSize(firstState(planned, checked.alias, now, planning.forecast), queue ? 'lower analysis.baselineMinutes (each minute of an SQS baseline is kept in the state)' : 'use fewer custom metrics or a shorter description');
    const taken = await takeAlias(checked, versions, execution);
    return firstState(planned, taken, now, planning.forecast);
  };

  /**
   * The request the trigger asks for: as sent, or built from the tags of the function whose version
   * was published (a function without the opt-in tag is skipped).
   */
  async function resolveRequest(trigger: Trigger): Promise<{ request: unknown } | Skipped> {
    if (trigger.kind !== 'published-version') return { request: trigger.request };
    const fn = await functions.getFunction(trigger.functionName);
    const alias = fn.tags[OPT_IN_TAG];
    if (!alias) {
      return { skipped: true, status: `Skipped: ${fn.functionName} has no "${OPT_IN_TAG}" tag, so version ${trigger.version} is not canaried` };
    }
    // The strategy comes from the owner's tags (checkEventRequest), never from the event.
    return { request: { functionName: fn.functionName, alias, candidateVersion: trigger.version } };
  }

  /** The function and its alias: in this account, owned by no other execution, and on one version. */
  async function checkAlias(request: CanaryRequest, execution: ExecutionRef): Promise<CheckedAlias> {
    const fn = await byField('functionName', `no function ${request.functionName} in Coalmine's account and region`, () => functions.getFunction(request.functionName));
    if (request.functionArn !== undefined && request.functionArn !== fn.functionArn) {
      // Only the name reaches the Lambda API: an ARN of another account or region would canary this one's namesake.
      throw new FunctionNotFoundError(`functionName: ${request.functionArn} is not in Coalmine's account and region (${fn.functionArn}); deploy Coalmine there`);
    }
    const region = fn.functionArn.split(':')[3];
    if (request.region !== undefined && request.region !== region) {
      // Plan's clients call the region the request names; a function found anywhere else is a namesake, never the target.
      throw new FunctionNotFoundError(`region: ${request.region} is where the request says ${request.functionName} is, but the function Coalmine found is in ${region}; nothing was changed`);
    }
    const alias = await byField('alias', `${request.functionName} has no alias ${request.alias}`, () => router.getAlias(fn.functionName, request.alias));
    const mark = readOwnerMark(alias.description);
    if (mark && !isOwner(mark, execution)) {
      throw new CanaryInProgressError(`alias ${fn.functionName}:${alias.name} is in a canary run by ${describeOwner(mark)}; wait for it or abort it (if that execution no longer runs, remove the coalmine-canary mark from the alias description)`);
    }
    if (mark && !(alias.version === mark.stable && Object.keys(alias.weights).length === 0)) {
      // A retried Plan (its first answer was lost) finds its own mark. It adopts the alias only as
      // it wrote it: Plan writes nothing but the mark, so any other version or routing is a change
      // someone made since, and theirs to keep.
      throw new AliasChangedError(`alias ${fn.functionName}:${alias.name} was changed by someone else after this execution took it (now ${describeRouting(alias)}); Coalmine leaves their change`);
    }
    if (!mark && Object.keys(alias.weights).length > 0) {
      throw new AliasAlreadyRoutedError(`alias ${fn.functionName}:${alias.name} already splits traffic (${describeRouting(alias)}); point it at one version first`);
    }
    return { fn, alias, retryOf: mark };
  }

  /** Both versions as Lambda reports them: the candidate Active, and both routable together. */
  async function checkVersionConfigs({ fn }: CheckedAlias, { stableVersion, candidateVersion }: Versions): Promise<void> {
    const [stable, candidate] = await Promise.all([functions.getVersion(fn.functionName, stableVersion), functions.getVersion(fn.functionName, candidateVersion)]);
    checkVersions(fn.functionName, stable, candidate);
  }

  /** The stable version (the alias's, or the one a retried Plan recorded) and the candidate, both published and different. */
  function resolveVersions(request: CanaryRequest, { fn, alias, retryOf }: CheckedAlias): Versions {
    const stableVersion = retryOf ? retryOf.stable : (request.stableVersion ?? alias.version);
    if (!retryOf && request.stableVersion !== undefined && request.stableVersion !== alias.version) {
      throw new InvalidVersionError(`stableVersion: alias ${alias.name} points at version ${alias.version}, not ${request.stableVersion}`);
    }
    const candidateVersion = resolveCandidate(request, fn.versions);
    if (!fn.versions.includes(stableVersion)) {
      throw new InvalidVersionError(`stableVersion: ${fn.functionName} has no published version ${stableVersion}`);
    }
    if (candidateVersion === stableVersion) {
      throw new InvalidVersionError(`candidateVersion: version ${candidateVersion} is already the stable version of ${alias.name}; nothing to canary`);
    }
    return { stableVersion, candidateVersion };
  }

  /** The stable version's settled minutes before the canary: what the candidate is compared with. */
  function measureBaseline(request: CanaryRequest, { fn, alias }: CheckedAlias, { stableVersion }: Versions, queue: DiscoveredQueue | undefined, now: Date): Promise<Baseline> {
    const { analysis } = request;
    const baselineEnd = floorMinute(addSeconds(now, -analysis.settleSeconds));
    return metrics.baseline({
      functionName: fn.functionName,
      alias: alias.name,
      version: stableVersion,
      start: iso(addSeconds(baselineEnd, -60 * analysis.baselineMinutes)),
      end: iso(baselineEnd),
      percentile: analysis.latencyPercentile,
      ...(queue ? { queue: queueRef(queue.plan) } : {}),
    });
  }

  /**
   * What the canary can prove in its budget, from pre-shift traffic only (the baseline, and the
   * alias' day of hourly history): the weights when none were named, the bar, the exposure, the
   * forecast, within the execution's limits (src/core/planning.ts). Refuses here,
   * before the alias is taken, when the request would rather refuse than loosen, or when a named
   * schedule does not fit.
   */
  async function planForTraffic(
    request: CanaryRequest,
    { fn, alias }: CheckedAlias,
    ownersStrategy: Strategy | undefined,
    queue: DiscoveredQueue | undefined,
    baseline: Baseline,
    now: Date,
    fromEvent: boolean,
  ): Promise<{ planning: CanaryPlanning; analysis: AnalysisSettings; planWarnings: string[]; historyWarnings: string[]; queueHistory?: QueueHistorySummary }> {
    const baselineStart = addSeconds(floorMinute(addSeconds(now, -request.analysis.settleSeconds)), -60 * request.analysis.baselineMinutes);
    const history: TrafficHistory = metrics.history
      ? await metrics.history({
          functionName: fn.functionName,
          alias: alias.name,
          start: iso(addSeconds(baselineStart, -HISTORY_HOURS * 3600)),
          end: iso(baselineStart),
          ...(queue ? { queue: { queueName: queueRef(queue.plan).queueName } } : {}),
        })
      : { hours: [], failures: [] };
    const queueHistory = history.queueHours ? summariseQueueHistory(history.queueHours) : undefined;
    // The queue as the judge will read it (the plan's baseline and history), so the bar stated is the bar held.
    const setup = queue && queueJudgeSetup(queue.plan);
    const planWith = (settings: AnalysisSettings) =>
      planWithinLimits({
        traffic: estimateTraffic(baseline, history.hours, iso(baselineStart)),
        named: request.strategy ?? ownersStrategy,
        settings,
        ...(queue ? { queue: queue.plan } : {}),
        ...(setup ? { queueTest: { stable: stableQueue(setup, { ...baseline, ...(queueHistory ? { queueHistory } : {}) }), reportBatchItemFailures: setup.reportBatchItemFailures } } : {}),
        after: { bakeMinutes: request.postPromotionMinutes ?? 0, readsAlarms: Boolean(request.gates?.alarms.length) },
      });
    let { planning, analysis, warnings } = planWith(request.analysis);
    // An event may not shorten the budget the plan would take (trust.ts lets it set one of at least
    // 150 minutes, but a long schedule's own, an SQS queue's retry cycles, may be longer): a shorter
    // budget could only loosen the bar.
    const eventBudget = request.analysis.maxDurationMinutes;
    if (fromEvent && eventBudget !== undefined) {
      const { maxDurationMinutes: _set, ...unset } = request.analysis;
      const own = planWith(unset);
      if (own.planning.forecast.maxDurationMinutes > eventBudget) {
        ({ planning, analysis } = own);
        warnings = [...own.warnings, `analysis.maxDurationMinutes: the event's ${eventBudget} minutes are shorter than the plan's own budget, ${own.planning.forecast.maxDurationMinutes}; an event may not shorten it`];
      }
    }
    const historyWarnings = history.failures.map((failure) =>
      /NumberOfMessages/.test(failure.metric)
        ? `the queue's hourly history could not be read (${failure.metric}: ${failure.message}); its retry rate rests on the baseline alone`
        : `the alias' hourly history could not be read (${failure.metric}: ${failure.message}); the forecast rests on the baseline alone`,
    );
    return { planning, analysis, planWarnings: warnings, historyWarnings, ...(queueHistory ? { queueHistory } : {}) };
  }

  /** Marks the alias as this execution's (a retried Plan already did), keeping the description it replaces. */
  async function takeAlias({ fn, alias, retryOf }: CheckedAlias, { stableVersion, candidateVersion }: Versions, execution: ExecutionRef): Promise<AliasState> {
    if (retryOf) return alias;
    return router.updateAlias(
      fn.functionName,
      alias.name,
      { description: ownerMark({ executionArn: execution.id, owner: execution.name, stable: stableVersion, candidate: candidateVersion, original: alias.description }) },
      alias.revisionId,
    );
  }
}

/** Both versions' memory sizes, when Lambda reported both. */
function versionMemory(memoryMB: Record<string, number> | undefined, { stableVersion, candidateVersion }: Versions): { memoryMB?: { stable: number; candidate: number } } {
  const stable = memoryMB?.[stableVersion];
  const candidate = memoryMB?.[candidateVersion];
  return stable !== undefined && candidate !== undefined ? { memoryMB: { stable, candidate } } : {};
}

/** The plan every later step follows, from what Plan found. */
function buildPlan(found: {
  request: CanaryRequest;
  trigger: Trigger;
  execution: ExecutionRef;
  checked: CheckedAlias;
  versions: Versions;
  queue: DiscoveredQueue | undefined;
  strategy: Strategy;
  /** The request's analysis as the plan keeps it: the budget it chose, and what fitting Coalmine's schedule changed. */
  analysis: AnalysisSettings;
  baseline: Baseline;
  dlqDepthAtStart: number | undefined;
  originalDescription: string;
  now: Date;
  planning: CanaryPlanning;
  /** Warnings from planning (fitting, thin steps), the history and the concurrency limit, in that order. */
  planWarnings: string[];
}): Plan {
  const { request, trigger, execution, checked, versions, queue, strategy, analysis, baseline, dlqDepthAtStart, originalDescription, now, planning, planWarnings } = found;
  return {
    functionName: checked.fn.functionName,
    alias: checked.alias.name,
    // Every later step calls this region (src/core/regions.ts).
    region: checked.fn.functionArn.split(':')[3]!,
    ...versions,
    trigger: queue ? 'sqs' : 'api',
    strategy,
    // The budget as Plan chose it (an unset maxDurationMinutes gets an hour, or more for the thinnest traffic or a long schedule).
    analysis,
    owner: execution.name,
    originalDescription,
    startedAt: iso(now),
    functionTimeoutSeconds: checked.fn.timeoutSeconds,
    baseline: {
      minutes: baseline.minutes,
      invocations: baseline.invocations,
      errors: baseline.errors,
      ...(baseline.latencyThresholdMs === undefined ? {} : { latencyThresholdMs: round(baseline.latencyThresholdMs, 1) }),
      ...(baseline.medianMs === undefined ? {} : { medianMs: round(baseline.medianMs, 1) }),
      ...(queue && baseline.queue ? { queue: baseline.queue } : {}),
      ...(queue && baseline.queueHistory ? { queueHistory: baseline.queueHistory } : {}),
    },
    ...versionMemory(checked.fn.memoryMB, versions),
    ...(queue ? {} : coldStartReading(checked.fn, execution).plan),
    ...(queue ? { queue: { ...queue.plan, ...(dlqDepthAtStart === undefined ? {} : { dlqDepthAtStart }) } } : {}),
    promotion: planning.promotion,
    forecast: { ...planning.forecast },
    redriveOnRollback: request.redriveOnRollback,
    ...(request.preTraffic ? { preTraffic: request.preTraffic } : {}),
    ...(request.gates ? { gates: request.gates } : {}),
    ...(request.approval ? { approval: request.approval } : {}),
    ...(request.postPromotionMinutes === undefined ? {} : { postPromotionMinutes: request.postPromotionMinutes }),
    warnings: [...(queue?.warnings ?? []), ...(trigger.source === 'request' ? [] : [`started by ${trigger.source}`]), ...planWarnings, ...(queue ? [] : coldStartReading(checked.fn, execution).warnings)],
  };
}

/**
 * A running canary reads its gate's alarms before every look through a Step Functions service
 * integration, which calls the state machine's own region only: gate alarms of a function in another
 * region would never be seen firing, so Plan refuses them rather than hold on nothing.
 */
function checkAlarmsReadable(alarmNames: readonly string[], fn: FunctionInfo, execution: ExecutionRef): void {
  const home = regionOf(execution.id);
  const region = regionOf(fn.functionArn);
  if (alarmNames.length && home && region && home !== region) {
    throw new InvalidRequestError(`gates.alarms: a running canary reads its alarms in Coalmine's own region (${home}), and ${fn.functionName} is in ${region}; deploy Coalmine in ${region} to gate it on that region's alarms`);
  }
}

/**
 * Whether each version's cold starts can be read: Coalmine queries the text REPORT lines in the
 * function's default log group (`/aws/lambda/<name>`, the one its role may query). Otherwise the
 * plan says why they are not judged.
 */
function coldStartReading(fn: FunctionInfo, execution: ExecutionRef): { plan: { coldStarts?: { logGroupName: string } }; warnings: string[] } {
  const logGroupName = `/aws/lambda/${fn.functionName}`;
  const home = regionOf(execution.id);
  const region = regionOf(fn.functionArn);
  // The query is a Step Functions service integration, and those call the state machine's own region only.
  if (home && region && home !== region) return { plan: {}, warnings: [`cold starts not judged: Coalmine queries logs in its own region (${home}), and ${fn.functionName} logs in ${region}`] };
  const logging = fn.logging ?? { logGroup: logGroupName, format: 'Text' };
  if (logging.format !== 'Text') return { plan: {}, warnings: [`cold starts not judged: the function logs in ${logging.format}, and Coalmine reads the text REPORT lines`] };
  if (logging.logGroup !== logGroupName) return { plan: {}, warnings: [`cold starts not judged: the function logs to ${logging.logGroup}, and Coalmine may query only ${logGroupName}`] };
  return { plan: { coldStarts: { logGroupName } }, warnings: [] };
}

/** The execution state Plan hands to the first Shift (or straight to Promote, for an all-at-once strategy). */
function firstState(plan: Plan, taken: AliasState, now: Date, forecast: Forecast): CanaryState {
  const { strategy } = plan;
  const steps = strategy.steps;
  return {
    status: `Planned: ${plan.functionName}:${plan.alias} from version ${plan.stableVersion} to ${plan.candidateVersion}, ${steps.length ? `${steps.map((w) => `${w}%`).join(' → ')} → 100%, ${strategy.intervalMinutes} min a step` : 'all at once'} — ${forecast.summary}`,
    plan,
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
