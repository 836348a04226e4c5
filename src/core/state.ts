/**
 * The execution state: what travels between the states of statemachine/canary.asl.json.
 * Every Task gets `{ state, execution }` and returns the next state. It is what people read in the
 * Step Functions console, so it stays small and says what happened.
 */
import * as z from 'zod/mini';
import './zod-messages.ts';
import type { Forecast } from './forecast.ts';
import { analysisSchema } from './judge/index.ts';

/** `await-approval`: the judge would promote, and the request asks a person first (`approval: "before-promote"`). */
export const DECISIONS = ['advance', 'hold', 'promote', 'rollback', 'await-approval'] as const;
export type Decision = (typeof DECISIONS)[number];

/** How a canary ended (the state's `outcome.result`, `run --json`'s `outcome`); a rollback's why is its `RollbackKind`. */
export const ENDINGS = ['promoted', 'rolled-back', 'failed'] as const;
export type Ending = (typeof ENDINGS)[number];

/**
 * Why a canary was rolled back: `regression` when a check found the candidate worse;
 * `inconclusive` when it could not decide within its limits (no harm was found); `rejected` when a
 * person rejected it (`coalmine reject`); `error` when a step failed and rolling back was the safe ending.
 */
export const ROLLBACK_KINDS = ['regression', 'inconclusive', 'rejected', 'error'] as const;
export type RollbackKind = (typeof ROLLBACK_KINDS)[number];
/** The kinds the judge's decision can give; `rejected` comes from a person, `error` from a failed step. */
export type JudgedRollbackKind = 'regression' | 'inconclusive';
/** A rollback that ends the execution in one of its rollback Fail states: judged, or rejected by a person. */
export type DecidedRollbackKind = Exclude<RollbackKind, 'error'>;

/**
 * The error each kind of judged rollback ends the execution with (the Fail states of
 * statemachine/canary.asl.json): callers tell a found regression from an inconclusive canary by it.
 */
export const ROLLBACK_ERRORS: Readonly<Record<DecidedRollbackKind, string>> = Object.freeze({
  regression: 'CanaryRolledBack',
  inconclusive: 'CanaryInconclusive',
  rejected: 'CanaryRejected',
});

/**
 * The error of a canary that was promoted, then restored the stable version after a regression
 * found while judging it after promotion (statemachine/canary.asl.json "Restored after promotion").
 */
export const RESTORED_ERROR = 'CanaryRestored';

/** The rollback an execution's error name stands for, if it stands for one (a restore after promotion is a regression's). */
export function rollbackKindOfError(error: string | undefined): DecidedRollbackKind | undefined {
  if (error === RESTORED_ERROR) return 'regression';
  return (Object.keys(ROLLBACK_ERRORS) as DecidedRollbackKind[]).find((kind) => ROLLBACK_ERRORS[kind] === error);
}

/**
 * How an ending is named to people, everywhere (status line, CLI, console): a rollback for lack of
 * evidence is not called what a found regression is called.
 */
export function outcomeTitle(outcome: { result: Ending; rollbackKind?: RollbackKind | null | undefined; restoredAfterPromotion?: boolean | undefined }): string {
  if (outcome.result === 'promoted') return 'Promoted';
  if (outcome.restoredAfterPromotion) return 'Promoted, then restored';
  if (outcome.result === 'failed') return 'Failed';
  return outcome.rollbackKind === 'inconclusive' || outcome.rollbackKind === 'rejected' ? `Rolled back (${outcome.rollbackKind})` : 'Rolled back';
}

export const figuresSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));

export const queueMinuteSchema = z.object({
  sent: z.number(),
  received: z.number(),
  deleted: z.number(),
  visible: z.number(),
  ageOfOldestSeconds: z.number(),
  dlqVisible: z.number(),
  notVisible: z.optional(z.number()),
});

/** The queue of an SQS-triggered function, as Plan found it. */
export const planQueueSchema = z.object({
  mappingId: z.string(),
  queueArn: z.string(),
  queueUrl: z.string(),
  queueName: z.string(),
  visibilityTimeoutSeconds: z.number(),
  batchSize: z.number(),
  batchingWindowSeconds: z.number(),
  reportBatchItemFailures: z.boolean(),
  dlq: z.optional(z.object({ arn: z.string(), url: z.string(), name: z.string(), maxReceiveCount: z.number() })),
  /** DLQ depth when the canary started: a rollback with redrive brings it back to this. */
  dlqDepthAtStart: z.optional(z.number()),
  /** The mapping publishes its own event counts (MetricsConfig EventCount); absent when it does not. */
  metricsEnabled: z.optional(z.boolean()),
});

export const promotionSchema = z.object({
  bar: z.number(),
  alternative: z.number(),
  alpha: z.number(),
  stepMinRequests: z.array(z.number()),
  finalStepMinRequests: z.number(),
  finalStepMinutes: z.optional(z.number()),
});


export const planSchema = z.object({
  functionName: z.string(),
  alias: z.string(),
  /** The function's region: every step calls it there. Absent in plans made before Coalmine read it: the region Coalmine runs in. */
  region: z.optional(z.string()),
  stableVersion: z.string(),
  candidateVersion: z.string(),
  trigger: z.enum(['api', 'sqs']),
  strategy: z.object({
    name: z.string(),
    /** Candidate weights in percent, increasing, each < 100; promotion follows the last. */
    steps: z.array(z.number()),
    intervalMinutes: z.number(),
  }),
  analysis: analysisSchema,
  /** The mark Plan wrote into the alias description: whoever's mark it is owns the alias. */
  owner: z.string(),
  /** The alias description before Coalmine took it; restored when it lets go. */
  originalDescription: z.string(),
  startedAt: z.string(),
  /**
   * The function's timeout: how long after a minute its last invocations' metrics may still arrive
   * (Evaluate re-reads those minutes). Absent in plans made before Coalmine read it: no re-read.
   */
  functionTimeoutSeconds: z.optional(z.number()),
  baseline: z.object({
    minutes: z.number(),
    invocations: z.number(),
    errors: z.number(),
    latencyThresholdMs: z.optional(z.number()),
    /** Stable's median duration before the shift: the cost check's reference. */
    medianMs: z.optional(z.number()),
    /** SQS: the queue's minutes before the first shift, the reference for its trends. */
    queue: z.optional(z.array(queueMinuteSchema)),
    /** SQS: the queue's receives and failures over the day before the baseline (a thin baseline's retry rate draws on it). */
    queueHistory: z.optional(z.object({ hours: z.number(), received: z.number(), failures: z.number() })),
  }),
  /** API functions logging REPORT lines as text to the log group Coalmine may query: each version's cold starts are read there. */
  coldStarts: z.optional(z.object({ logGroupName: z.string() })),
  /** The most executions the candidate may run at once at 100% (src/core/concurrency.ts), when Plan could read it. */
  concurrency: z.optional(z.object({ limit: z.number(), source: z.enum(['reserved', 'account']) })),
  /** Each version's memory size in MB, when Lambda reported it: what the cost of a request is computed at. */
  memoryMB: z.optional(z.object({ stable: z.number(), candidate: z.number() })),
  queue: z.optional(planQueueSchema),
  /** The promotion test and each step's exposure, fixed from pre-shift traffic (src/core/forecast.ts). */
  promotion: z.optional(promotionSchema),
  /**
   * What Plan forecast before any traffic moved (src/core/forecast.ts `Forecast`), as Plan wrote it:
   * no later step reads it (it is for people and `run --json`), so it is not checked again here.
   */
  forecast: z.optional(z.unknown()),
  redriveOnRollback: z.boolean(),
  /** Checks before any traffic shifts: smoke events for the candidate version, the user's hook. */
  preTraffic: z.optional(z.object({ smokeEvents: z.array(z.unknown()), hookFunction: z.optional(z.string()) })),
  /** Release gates: CloudWatch alarms that hold the canary while any is in ALARM. */
  /** A person approves before the canary promotes (`coalmine approve|reject`). */
  approval: z.optional(z.literal('before-promote')),
  gates: z.optional(z.object({ alarms: z.array(z.string()), startWindows: z.optional(z.array(z.object({ days: z.array(z.string()), from: z.string(), to: z.string(), timeZone: z.string() }))) })),
  /** Minutes to keep judging the promoted version after promotion (the bake); absent: none. */
  postPromotionMinutes: z.optional(z.number()),
  warnings: z.array(z.string()),
});

/** One check's verdict at a look (src/core/judge/types.ts `CheckVerdict`): what the scorecard shows. */
export const checkVerdictSchema = z.object({
  name: z.string(),
  phase: z.enum(['pass', 'inconclusive', 'fail']),
  summary: z.string(),
  figures: z.optional(figuresSchema),
});

export const verdictSchema = z.object({
  decision: z.enum(DECISIONS),
  /** With decision `rollback`: whether the judge found a regression or could not decide. */
  rollbackKind: z.optional(z.enum(['regression', 'inconclusive'])),
  reasons: z.array(z.string()),
  figures: figuresSchema,
  /** Every check at this look, the decisive first. */
  checks: z.optional(z.array(checkVerdictSchema)),
});

export const progressSchema = z.object({
  /** Index into plan.strategy.steps; -1 before the first shift. */
  stepIndex: z.number().check(z.int()),
  /** Candidate's share now, percent. */
  weight: z.number(),
  /** The alias revision Coalmine last wrote: anything else means someone else changed it. */
  revisionId: z.string(),
  stepStartedAt: z.optional(z.string()),
  /** When the first step started: the budget (analysis.maxDurationMinutes) counts from here. */
  firstShiftAt: z.optional(z.string()),
  /** Metrics before this time have been judged. */
  judgedUntil: z.optional(z.string()),
  /** When Bake ends and Evaluate looks next (ISO; Bake uses it as TimestampPath). */
  nextEvaluationAt: z.optional(z.string()),
  decision: z.enum(DECISIONS),
  /** The judge's memory across looks (evidence, counts). */
  judge: z.optional(z.record(z.string(), z.unknown())),
  /** Counts of the minutes that may still be filling, as last read (src/core/late-metrics.ts). */
  recentCounts: z.optional(z.record(z.string(), z.array(z.number()))),
  evaluations: z._default(z.number().check(z.int()), 0),
  /** The Logs Insights query the state machine runs before the next look (src/core/cold-start-query.ts); times in epoch seconds. */
  coldStartQuery: z.optional(z.object({ logGroupName: z.string(), queryString: z.string(), startTime: z.number(), endTime: z.number() })),
  /** The checks before traffic have run (Decide runs them once, before the first shift). */
  checkedBeforeTraffic: z.optional(z.boolean()),
  /** When the canary first waited for a person's approval, and when it was first seen paused: each wait has a limit. */
  awaitingApprovalSince: z.optional(z.string()),
  pausedSince: z.optional(z.string()),
  /** After promotion (`plan.postPromotionMinutes`): when the candidate took all traffic, until when it is judged, and what it served since. */
  bake: z.optional(z.object({ promotedAt: z.string(), until: z.string(), requests: z.number(), errors: z.number() })),
});

export const outcomeSchema = z.object({
  result: z.enum(ENDINGS),
  /** Why it was rolled back (null when it was not); absent in states written before it existed. */
  rollbackKind: z.optional(z.nullable(z.enum(ROLLBACK_KINDS))),
  reason: z.string(),
  alias: z.object({ version: z.string(), routing: z.record(z.string(), z.number()) }),
  /** Messages moved back from the DLQ to the source queue after a rollback. */
  redriven: z.optional(z.number()),
  /** What the redrive pass examined, moved and left, and whether it read the DLQ to the end. */
  redrive: z.optional(z.object({ moved: z.number(), examined: z.number(), notMoved: z.number(), inBothQueues: z.number(), complete: z.boolean() })),
  /** When the candidate took all traffic, for a canary that judged it after promotion (`postPromotionMinutes`). */
  promotedAt: z.optional(z.string()),
  /** True when a regression after promotion put the stable version back: promoted, then restored. */
  restoredAfterPromotion: z.optional(z.boolean()),
  /** The checks at the look that decided (promoted or rolled back), the decisive first: the outcome event carries them. */
  checks: z.optional(z.array(checkVerdictSchema)),
  finishedAt: z.string(),
});

export const canaryStateSchema = z.object({
  /** One line for people: where the canary stands. */
  status: z.string(),
  plan: planSchema,
  progress: progressSchema,
  verdict: z.optional(verdictSchema),
  outcome: z.optional(outcomeSchema),
  /** SQS rollback: when to move the canary's dead letters back (the Wait before Redrive). */
  redrive: z.optional(z.object({ at: z.string() })),
  error: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
  /** What the state machine's cold-start query returned (GetQueryResults), or the error it caught; Evaluate reads it and drops it. */
  coldStartResults: z.optional(z.unknown()),
  /** Who approved the promotion (`coalmine approve`, or `run --local --approve yes`). */
  approval: z.optional(z.object({ by: z.string(), comment: z.optional(z.string()) })),
  /** The gate's alarms in ALARM, as "Read the alarms" found them before this look (DescribeAlarms' answer); Evaluate reads and drops it. */
  firingAlarms: z.optional(z.unknown()),
});

export type Plan = z.output<typeof planSchema>;
/** The forecast as the plan carries it: what Plan wrote (src/core/forecast.ts). */
export type PlannedForecast = Forecast;
export type PlanQueue = z.output<typeof planQueueSchema>;
export type Progress = z.output<typeof progressSchema>;
export type Verdict = z.output<typeof verdictSchema>;
export type CheckVerdictRecord = z.output<typeof checkVerdictSchema>;
export type Outcome = z.output<typeof outcomeSchema>;
export type CanaryState = z.output<typeof canaryStateSchema>;

/** What the state machine hands every Task: the state, and which execution is asking. */
export const executionRefSchema = z.object({ id: z.string().check(z.minLength(1)), name: z.string().check(z.minLength(1)) });
export type ExecutionRef = z.output<typeof executionRefSchema>;
