/**
 * The execution state: what travels between the states of statemachine/canary.asl.json.
 * Every Task gets `{ state, execution }` and returns the next state. It is what people read in the
 * Step Functions console, so it stays small and says what happened.
 */
import * as z from 'zod';
import { analysisSchema } from './judge/settings.ts';

export const DECISIONS = ['advance', 'hold', 'promote', 'rollback'] as const;
export type Decision = (typeof DECISIONS)[number];

export const figuresSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));

export const queueMinuteSchema = z.object({
  sent: z.number(),
  received: z.number(),
  deleted: z.number(),
  visible: z.number(),
  ageOfOldestSeconds: z.number(),
  dlqVisible: z.number(),
  notVisible: z.number().optional(),
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
  dlq: z.object({ arn: z.string(), url: z.string(), name: z.string(), maxReceiveCount: z.number() }).optional(),
  /** DLQ depth when the canary started: a rollback with redrive brings it back to this. */
  dlqDepthAtStart: z.number().optional(),
  /** The mapping publishes its own event counts (MetricsConfig EventCount); absent when it does not. */
  metricsEnabled: z.boolean().optional(),
});

export const planSchema = z.object({
  functionName: z.string(),
  alias: z.string(),
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
  baseline: z.object({
    minutes: z.number(),
    invocations: z.number(),
    errors: z.number(),
    latencyThresholdMs: z.number().optional(),
    /** SQS: the queue's minutes before the first shift, the reference for its trends. */
    queue: z.array(queueMinuteSchema).optional(),
  }),
  queue: planQueueSchema.optional(),
  redriveOnRollback: z.boolean(),
  warnings: z.array(z.string()),
});

/** One check's verdict at a look (src/core/judge/types.ts `CheckVerdict`): what the scorecard shows. */
export const checkVerdictSchema = z.object({
  name: z.string(),
  phase: z.enum(['pass', 'inconclusive', 'fail']),
  summary: z.string(),
  figures: figuresSchema.optional(),
});

export const verdictSchema = z.object({
  decision: z.enum(DECISIONS),
  reasons: z.array(z.string()),
  figures: figuresSchema,
  /** Every check at this look, the decisive first. */
  checks: z.array(checkVerdictSchema).optional(),
});

export const progressSchema = z.object({
  /** Index into plan.strategy.steps; -1 before the first shift. */
  stepIndex: z.number().int(),
  /** Candidate's share now, percent. */
  weight: z.number(),
  /** The alias revision Coalmine last wrote: anything else means someone else changed it. */
  revisionId: z.string(),
  stepStartedAt: z.string().optional(),
  /** Metrics before this time have been judged. */
  judgedUntil: z.string().optional(),
  /** When Bake ends and Evaluate looks next (ISO; Bake uses it as TimestampPath). */
  nextEvaluationAt: z.string().optional(),
  decision: z.enum(DECISIONS),
  /** The judge's memory across looks (evidence, counts). */
  judge: z.record(z.string(), z.unknown()).optional(),
  evaluations: z.number().int().default(0),
});

export const outcomeSchema = z.object({
  result: z.enum(['promoted', 'rolled-back', 'failed']),
  reason: z.string(),
  alias: z.object({ version: z.string(), routing: z.record(z.string(), z.number()) }),
  /** Messages moved back from the DLQ to the source queue after a rollback. */
  redriven: z.number().optional(),
  /** The checks at the look that decided (promoted or rolled back), the decisive first: the outcome event carries them. */
  checks: z.array(checkVerdictSchema).optional(),
  finishedAt: z.string(),
});

export const canaryStateSchema = z.object({
  /** One line for people: where the canary stands. */
  status: z.string(),
  plan: planSchema,
  progress: progressSchema,
  verdict: verdictSchema.optional(),
  outcome: outcomeSchema.optional(),
  /** SQS rollback: when to move the canary's dead letters back (the Wait before Redrive). */
  redrive: z.object({ at: z.string() }).optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

export type Plan = z.output<typeof planSchema>;
export type PlanQueue = z.output<typeof planQueueSchema>;
export type Progress = z.output<typeof progressSchema>;
export type Verdict = z.output<typeof verdictSchema>;
export type CheckVerdictRecord = z.output<typeof checkVerdictSchema>;
export type Outcome = z.output<typeof outcomeSchema>;
export type CanaryState = z.output<typeof canaryStateSchema>;

/** What the state machine hands every Task: the state, and which execution is asking. */
export const executionRefSchema = z.object({ id: z.string().min(1), name: z.string().min(1) });
export type ExecutionRef = z.output<typeof executionRefSchema>;
