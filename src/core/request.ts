/**
 * The request: what the state machine takes as input (and `coalmine run --request FILE` reads).
 * Validation happens here, before anything is touched; every failure is one line that names the
 * field and says why.
 *
 * @example
 * parseRequest({ functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: 'Canary10Percent5Minutes' });
 */
import * as z from 'zod/mini';
import './zod-messages.ts';
import { REGION_NAME } from './regions.ts';
import { InvalidRequestError, InvalidVersionError } from './errors.ts';
import { analysisSchema } from './judge/index.ts';
import { parseStrategy, type Strategy } from './strategy.ts';
import { clip } from './clip.ts';

/** A function name, or an unqualified function ARN (a qualified one would name a version or alias). */
const FUNCTION_NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const FUNCTION_ARN = /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1}:\d{12}:function:([a-zA-Z0-9-_]{1,64})$/;
const QUALIFIED_ARN = /^arn:aws[a-zA-Z-]*:lambda:[^:]+:\d{12}:function:[a-zA-Z0-9-_]{1,64}:.+$/;
/** Lambda alias names: letters, digits, - and _, not all digits (that would be a version). */
const ALIAS_NAME = /^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/;
const VERSION = /^[1-9][0-9]{0,9}$/;

const versionField = z.pipe(z.union([z.string(), z.number()]), z.transform((value) => String(value)));

const customStrategySchema = z.strictObject({
  steps: z.array(z.number()).check(z.minLength(0), z.maxLength(200)),
  intervalMinutes: z.number(),
});

const strategyField = z.union([z.string().check(z.minLength(1), z.maxLength(100)), customStrategySchema]);

/** The user's hook function: a name or ARN, which may carry a version or alias. */
const HOOK_FUNCTION = /^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1}:\d{12}:function:)?[a-zA-Z0-9-_]{1,64}(:[a-zA-Z0-9-_$]{1,128})?$/;
/** The smoke events travel in the execution's state (256 KB at most): keep them well under it. */
export const SMOKE_EVENTS_MAX = 20;
export const SMOKE_EVENTS_MAX_BYTES = 64 * 1024;

/** Checks before any traffic shifts (docs/controls.md). */
export const preTrafficSchema = z.strictObject({
  /** Invoked one by one on the candidate version; any function error or timeout rolls back. */
  smokeEvents: z._default(z.array(z.unknown()).check(z.maxLength(SMOKE_EVENTS_MAX)), []),
  /** Invoked with the plan; it must answer `{ "status": "Succeeded" }` (CodeDeploy's BeforeAllowTraffic). */
  hookFunction: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});
export type PreTraffic = z.output<typeof preTrafficSchema>;

/** The longest bake after promotion: a day (the execution itself lasts at most 48 hours). */
export const POST_PROMOTION_MAX_MINUTES = 24 * 60;

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const CLOCK_TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

/** A time of the week when a canary may start: these days, from `from` until `to`, in `timeZone`. */
export const startWindowSchema = z.strictObject({
  days: z._default(z.array(z.enum(WEEKDAYS)).check(z.minLength(1), z.maxLength(7)), [...WEEKDAYS]),
  from: z.string().check(z.regex(CLOCK_TIME, 'expected a time as HH:MM (00:00-23:59)')),
  to: z.string().check(z.regex(CLOCK_TIME, 'expected a time as HH:MM (00:00-23:59)')),
  timeZone: z._default(z.string().check(z.minLength(1), z.maxLength(64)), 'UTC'),
});
export type StartWindow = z.output<typeof startWindowSchema>;

/** Release gates (docs/controls.md). */
export const gatesSchema = z.strictObject({
  /** CloudWatch alarm names: the canary does not start while any is in ALARM. */
  alarms: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(100)), []),
  /** When given, a canary starts only inside one of these windows. */
  startWindows: z.optional(z.array(startWindowSchema).check(z.minLength(1), z.maxLength(20))),
});
export type Gates = z.output<typeof gatesSchema>;

export const requestSchema = z.strictObject({
  functionName: z.string().check(z.minLength(1), z.maxLength(170)),
  alias: z.string().check(z.minLength(1), z.maxLength(128)),
  candidateVersion: versionField,
  stableVersion: z.optional(versionField),
  /** The function's region (a release names it for each target); every step calls that region (src/core/regions.ts). */
  region: z.optional(z.string().check(z.regex(REGION_NAME, 'must be a region name, e.g. eu-west-1'))),
  strategy: z.optional(strategyField),
  analysis: z.optional(analysisSchema),
  /** SQS: move messages that reached the DLQ during the canary back after a rollback. */
  redriveOnRollback: z._default(z.boolean(), true),
  /** SQS: allow FIFO queues (batches of one message group may then be split between versions). */
  allowFifo: z._default(z.boolean(), false),
  preTraffic: z.optional(preTrafficSchema),
  gates: z.optional(gatesSchema),
  /** `before-promote`: the canary waits at its final step for `coalmine approve` or `coalmine reject`. */
  approval: z.optional(z.enum(['none', 'before-promote'])),
  /** After promotion, keep judging the promoted version against the pre-shift baseline this long; a regression restores stable. */
  postPromotionMinutes: z.optional(z.int().check(z.minimum(1, 'must be at least 1 minute'), z.maximum(POST_PROMOTION_MAX_MINUTES, `must be at most ${POST_PROMOTION_MAX_MINUTES} minutes (a day)`))),
});

export type RawRequest = z.input<typeof requestSchema>;

/** A request that passed validation, with names normalised. */
export interface CanaryRequest {
  functionName: string;
  /** The unqualified function ARN when the request gave one: Plan checks it names the function it found (account and region). */
  functionArn?: string;
  alias: string;
  /** A version number, or `latest` for the newest published version. */
  candidateVersion: string;
  stableVersion?: string;
  /** The region the request names for the function, if any. */
  region?: string;
  /** Undefined when the request named none: Plan then picks the default for the trigger. */
  strategy?: Strategy;
  analysis: z.output<typeof analysisSchema>;
  redriveOnRollback: boolean;
  allowFifo: boolean;
  /** Absent when the request asks for no checks before traffic. */
  preTraffic?: PreTraffic;
  /** Absent when the request names no gate. */
  gates?: Gates;
  /** Absent when no person approves (`approval: "none"`, the default). */
  approval?: 'before-promote';
  /** Minutes to keep judging the promoted version; absent: the canary ends at promotion. */
  postPromotionMinutes?: number;
}

const KNOWN_FIELDS = Object.keys(requestSchema.shape);

/**
 * Validates a request. Throws InvalidRequestError (or InvalidVersionError for `$LATEST`) whose
 * message is one line: `field: reason`.
 */
export function parseRequest(input: unknown): CanaryRequest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidRequestError(`request: must be a JSON object, got ${describe(input)}`);
  }
  const parsed = requestSchema.safeParse(input);
  if (!parsed.success) throw new InvalidRequestError(firstIssue(parsed.error, input));
  const request = parsed.data;

  const functionName = normaliseFunctionName(request.functionName);
  if (!ALIAS_NAME.test(request.alias)) {
    throw new InvalidRequestError(`alias: "${clip(request.alias)}" is not an alias name (letters, digits, - and _, 1-128, not all digits)`);
  }
  const candidateVersion = normaliseVersion(request.candidateVersion, 'candidateVersion', true);
  const stableVersion = request.stableVersion === undefined ? undefined : normaliseVersion(request.stableVersion, 'stableVersion', false);
  if (stableVersion !== undefined && stableVersion === candidateVersion) {
    throw new InvalidVersionError(`candidateVersion: equals stableVersion (${stableVersion}); a canary needs two different versions`);
  }
  return {
    functionName,
    ...(functionName === request.functionName ? {} : { functionArn: request.functionName }),
    alias: request.alias,
    candidateVersion,
    ...(stableVersion === undefined ? {} : { stableVersion }),
    ...(request.region === undefined ? {} : { region: request.region }),
    ...(request.strategy === undefined ? {} : { strategy: parseStrategy(request.strategy) }),
    analysis: request.analysis ?? analysisSchema.parse({}),
    redriveOnRollback: request.redriveOnRollback,
    allowFifo: request.allowFifo,
    ...(request.preTraffic ? { preTraffic: checkPreTraffic(request.preTraffic) } : {}),
    ...(request.gates ? checkGates(request.gates) : {}),
    ...(request.approval === 'before-promote' ? { approval: request.approval } : {}),
    ...(request.postPromotionMinutes === undefined ? {} : { postPromotionMinutes: request.postPromotionMinutes }),
  };
}

function checkGates(gates: Gates): { gates?: Gates } {
  gates.startWindows?.forEach((window, index) => {
    const field = `gates.startWindows.${index}`;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: window.timeZone });
    } catch {
      throw new InvalidRequestError(`${field}.timeZone: "${clip(window.timeZone)}" is not an IANA time zone (e.g. "Europe/Paris", "UTC")`);
    }
    if (window.from >= window.to) {
      throw new InvalidRequestError(`${field}.to: ${window.to} is not after from (${window.from}); a window over midnight is two windows`);
    }
  });
  if (!gates.alarms.length && !gates.startWindows) return {};
  return { gates: { alarms: [...new Set(gates.alarms)], ...(gates.startWindows ? { startWindows: gates.startWindows } : {}) } };
}

function checkPreTraffic(preTraffic: PreTraffic): PreTraffic | undefined {
  const { smokeEvents, hookFunction } = preTraffic;
  if (hookFunction !== undefined && !HOOK_FUNCTION.test(hookFunction)) {
    throw new InvalidRequestError(`preTraffic.hookFunction: "${clip(hookFunction)}" is not a function name or ARN`);
  }
  const bytes = new TextEncoder().encode(JSON.stringify(smokeEvents)).length;
  if (bytes > SMOKE_EVENTS_MAX_BYTES) {
    throw new InvalidRequestError(`preTraffic.smokeEvents: ${bytes} bytes of JSON, more than ${SMOKE_EVENTS_MAX_BYTES} (they travel in the execution's state)`);
  }
  if (smokeEvents.length === 0 && hookFunction === undefined) return undefined;
  return { smokeEvents, ...(hookFunction === undefined ? {} : { hookFunction }) };
}

function normaliseFunctionName(value: string): string {
  if (FUNCTION_NAME.test(value)) return value;
  const arn = FUNCTION_ARN.exec(value);
  if (arn) return arn[2]!;
  if (QUALIFIED_ARN.test(value)) {
    throw new InvalidRequestError(`functionName: "${clip(value)}" is a qualified ARN; give the function's name or unqualified ARN and the alias separately`);
  }
  throw new InvalidRequestError(`functionName: "${clip(value)}" is not a function name (letters, digits, - and _, 1-64) or function ARN`);
}

function normaliseVersion(value: string, field: string, allowLatest: boolean): string {
  if (value === '$LATEST') {
    throw new InvalidVersionError(`${field}: $LATEST cannot be canaried; publish a version and name its number`);
  }
  if (allowLatest && value === 'latest') return value;
  if (!VERSION.test(value)) {
    throw new InvalidRequestError(`${field}: "${clip(value)}" is not a published version number${allowLatest ? ' or "latest"' : ''}`);
  }
  return value;
}

/** One line from zod's first issue: the field's path and why, with a suggestion for unknown keys. */
function firstIssue(error: z.core.$ZodError, input: unknown): string {
  // An unknown field comes first: a typo such as "functonName" also makes "functionName" missing,
  // and the typo is the cause worth naming, with its suggestion.
  const issue = error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? error.issues[0]!;
  const path = issue.path.length ? issue.path.map(String).join('.') : 'request';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const where = issue.path.length ? `${path}.${key}` : key;
    const candidates = issue.path.length === 0 ? KNOWN_FIELDS : knownKeysAt(issue.path);
    const suggestion = closest(key, candidates);
    return `${clip(where) || '""'}: unknown field${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
  }
  // zod does not keep the input in its issues: look the value up, so a wrong type is not called missing.
  const value = valueAt(input, issue.path);
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && value === undefined) return `${path}: is required`;
  if (issue.code === 'invalid_union' && path === 'strategy' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    // A custom schedule: name the field inside it ("strategy.intervalMinutes: is required"), not the whole union.
    const inner = customStrategySchema.safeParse(value);
    if (!inner.success) return firstIssue(prefixed(inner.error, ['strategy']), input);
  }
  if (issue.code === 'invalid_union') {
    const expected = path === 'strategy' ? 'a strategy name or { "steps": [...], "intervalMinutes": n }' : 'a version number (a string of digits or a number)';
    return `${path}: expected ${expected}, got ${describe(value)}`;
  }
  return `${path}: ${issue.message}`;
}

/** The same issues, with their paths under `parent`. */
function prefixed(error: z.core.$ZodError, parent: PropertyKey[]): z.core.$ZodError {
  return { ...error, issues: error.issues.map((issue) => ({ ...issue, path: [...parent, ...issue.path] })) } as z.core.$ZodError;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function knownKeysAt(path: PropertyKey[]): string[] {
  if (path[0] === 'analysis' && path.length === 1) return Object.keys(analysisSchema.shape);
  if (path[0] === 'strategy') return ['steps', 'intervalMinutes'];
  if (path[0] === 'preTraffic') return Object.keys(preTrafficSchema.shape);
  if (path[0] === 'gates') return Object.keys(gatesSchema.shape);
  return [];
}

/** The known key nearest to `key` by edit distance, if it is near enough to be a typo. */
export function closest(key: string, candidates: readonly string[]): string | undefined {
  // A field cut short ("bake" for "bakeMinutes") is nearer in meaning than one a few letters away ("name").
  const lower = key.toLowerCase();
  const extended = lower.length >= 3 ? candidates.filter((candidate) => candidate.toLowerCase().startsWith(lower)) : [];
  if (extended.length === 1) return extended[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export { clip } from './clip.ts';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
