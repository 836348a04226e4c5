/**
 * The trust boundary for events. Whoever may call `StartExecution` is a deployer and is trusted
 * with the whole request. An event is not: a "Canary Release Requested" event can be put on the
 * bus by anyone allowed to put events there, and a version is published by anyone allowed to
 * publish. So an event may start a canary only for a function whose owner opted in (its tags), may
 * choose only a strategy the owner allowed, and may never make the judge more lenient than the
 * defaults. Anything else is refused with EventNotAllowedError before the alias is touched.
 *
 * Owner's controls, as tags on the function (Lambda tag values allow letters, digits, spaces and
 * `_ . : / = + - @`, so lists are separated by spaces):
 * - `coalmine:alias` — the alias events may canary (opting in);
 * - `coalmine:strategy` — the strategy events use when they name none (and may name);
 * - `coalmine:strategies` — further strategy names events may choose, e.g. `Canary10Percent5Minutes AllAtOnce`.
 *
 * @example
 * checkEventRequest({ source: TRIGGER_SOURCES.releaseEvent, raw, request, tags: fn.tags, functionName: fn.functionName });
 */
import { EventNotAllowedError } from './errors.ts';
import { analysisSchema, LONGEST_BUDGET_MINUTES, type AnalysisSettings } from './judge/settings.ts';
import type { CanaryRequest } from './request.ts';
import { parseStrategy, type Strategy } from './strategy.ts';
import { TRIGGER_SOURCES, type TriggerSource } from './trigger.ts';

/** The tag by which a function opts in to canaries started by events, naming the alias. */
export const OPT_IN_TAG = 'coalmine:alias';
/** The strategy events use for the function when they name none. */
export const STRATEGY_TAG = 'coalmine:strategy';
/** More strategy names events may choose for the function, separated by spaces. */
export const ALLOWED_STRATEGIES_TAG = 'coalmine:strategies';

/** True when the canary was started by an event rather than by a deployer's request. */
export function isEvent(source: TriggerSource): boolean {
  return source !== TRIGGER_SOURCES.request;
}

/**
 * Which way each analysis setting makes the judge more lenient. `atLeast`: an event may raise it,
 * never lower it; `atMost`: the other way; `fixed`: an event may not change it (its effect on the
 * judge goes both ways). Settings not listed can only add checks (a p99 guardrail, custom metrics).
 */
const LENIENCY: Readonly<Partial<Record<keyof AnalysisSettings, 'atLeast' | 'atMost' | 'fixed'>>> = {
  // A smaller alpha asks for more evidence before rolling back: 1e-300 switches detection off.
  alpha: 'atLeast',
  errorTolerance: 'atMost',
  errorMargin: 'atMost',
  maxErrorRate: 'atMost',
  maxThrottleRate: 'atMost',
  latencyPercentile: 'fixed',
  minRequests: 'atLeast',
  baselineMinutes: 'atLeast',
  evaluationMinutes: 'atMost',
  settleSeconds: 'atLeast',
  // A shorter budget lets the plan loosen the promotion bar to fit it.
  maxDurationMinutes: 'atLeast',
};

// Unset, the budget may reach LONGEST_BUDGET_MINUTES where the traffic is thin: an event may not cut it shorter.
const DEFAULT_ANALYSIS: AnalysisSettings = { ...analysisSchema.parse({}), maxDurationMinutes: LONGEST_BUDGET_MINUTES };

export interface EventRequestCheck {
  source: TriggerSource;
  /** The request as the event carried it (before defaults), to tell what it set from what it left out. */
  raw: Record<string, unknown>;
  request: CanaryRequest;
  functionName: string;
  tags: Record<string, string>;
}

/**
 * Refuses what an event may not ask for; returns the strategy the owner chose for events (from
 * `coalmine:strategy`) when the event named none. Throws EventNotAllowedError, one line, naming the
 * field and what the owner allows.
 */
export function checkEventRequest(check: EventRequestCheck): Strategy | undefined {
  const { request, raw, functionName, tags } = check;
  const optedIn = tags[OPT_IN_TAG];
  if (!optedIn) {
    throw new EventNotAllowedError(`functionName: ${functionName} has not opted in to canaries started by events (no "${OPT_IN_TAG}" tag); start it with StartExecution (coalmine start) instead`);
  }
  if (optedIn !== request.alias) {
    throw new EventNotAllowedError(`alias: ${functionName} lets events canary alias ${optedIn} only (its "${OPT_IN_TAG}" tag), not ${request.alias}`);
  }
  const allowed = allowedStrategies(tags, functionName);
  if (raw['strategy'] !== undefined) {
    if (typeof raw['strategy'] !== 'string') {
      throw new EventNotAllowedError(`strategy: an event may only name a strategy its function allows (${describeAllowed(allowed)}), not give its own steps`);
    }
    const named = request.strategy!;
    if (!allowed.some((strategy) => strategy.name === named.name)) {
      throw new EventNotAllowedError(`strategy: ${functionName} does not let events choose ${named.name}; allowed: ${describeAllowed(allowed)} (tags "${STRATEGY_TAG}" and "${ALLOWED_STRATEGIES_TAG}")`);
    }
  }
  if (raw['analysis'] !== undefined) checkAnalysis(request.analysis);
  if (request.redriveOnRollback === false) {
    throw new EventNotAllowedError('redriveOnRollback: an event may not leave the dead letters of a rolled-back canary in the DLQ');
  }
  if (request.allowFifo) {
    throw new EventNotAllowedError('allowFifo: an event may not accept the risks of a FIFO queue for its owner; start it with StartExecution instead');
  }
  return raw['strategy'] === undefined && tags[STRATEGY_TAG] ? allowed[0] : undefined;
}

/** The strategies the owner allows events: the `coalmine:strategy` tag's first, then `coalmine:strategies`. */
export function allowedStrategies(tags: Record<string, string>, functionName: string): Strategy[] {
  const names = [tags[STRATEGY_TAG], ...(tags[ALLOWED_STRATEGIES_TAG] ?? '').split(/\s+/)].filter((name): name is string => !!name && name.trim().length > 0);
  return names.map((name) => {
    try {
      return parseStrategy(name.trim());
    } catch (error) {
      throw new EventNotAllowedError(`tags: ${functionName}'s strategy tag names ${JSON.stringify(name.slice(0, 60))}, which is not a strategy Coalmine knows`, { cause: error });
    }
  });
}

function describeAllowed(allowed: Strategy[]): string {
  return allowed.length ? allowed.map((strategy) => strategy.name).join(', ') : "none: events use Coalmine's default";
}

/** Every setting an event gave must be at least as strict as the default. */
function checkAnalysis(analysis: AnalysisSettings): void {
  for (const [field, rule] of Object.entries(LENIENCY) as [keyof AnalysisSettings, 'atLeast' | 'atMost' | 'fixed'][]) {
    const given = analysis[field] as number | undefined;
    if (given === undefined) continue;
    const limit = DEFAULT_ANALYSIS[field] as number;
    const looser = rule === 'atLeast' ? given < limit : rule === 'atMost' ? given > limit : given !== limit;
    if (looser) {
      const bound = rule === 'atLeast' ? `at least ${limit}` : rule === 'atMost' ? `at most ${limit}` : `${limit}`;
      throw new EventNotAllowedError(`analysis.${field}: an event may not make the judge more lenient than the defaults; ${bound}, got ${given}`);
    }
  }
}
