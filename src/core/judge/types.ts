/**
 * The judge's interface. The core calls `assess()` after every Bake with the minutes that settled
 * since the last look; the judge keeps what it needs across looks in `memory`, which travels in the
 * execution state (keep it small: a few hundred bytes).
 */
import type { Baseline, MetricsWindow } from '../ports.ts';
import type { PromotionTest } from './promotion.ts';
import type { AnalysisSettings } from './settings.ts';

/** What the queue checks need to know of the queue (from the plan). */
export interface QueueJudgeSetup {
  batchSize: number;
  reportBatchItemFailures: boolean;
  visibilityTimeoutSeconds: number;
  batchingWindowSeconds: number;
  /** Absent: the queue has no DLQ. */
  maxReceiveCount?: number;
  /** The mapping publishes its own event counts (MetricsConfig EventCount). */
  metricsEnabled?: boolean;
}

/** Where the canary stands when the judge looks. */
export interface JudgeContext {
  trigger: 'api' | 'sqs';
  /** 0-based index of the current step and how many canary steps there are (promotion follows the last). */
  stepIndex: number;
  stepCount: number;
  /** Candidate's share of traffic now, in percent. */
  weight: number;
  /** True on the last canary step: passing it promotes, so the promotion bar applies. */
  isFinalStep: boolean;
  /** Settled minutes observed at this step's weight so far (including this window). */
  minutesInStep: number;
  /** The strategy's planned minutes a step (before any extension); the queue's promotion bar is sized with it. */
  intervalMinutes?: number;
  /** Each version's memory size in MB (from the plan), for the cost of a request; absent when unknown. */
  memoryMB?: { stable: number; candidate: number } | undefined;
  /** True when each version's cold starts are read (their REPORT lines, through Logs Insights): the cold-start check runs. */
  coldStarts?: boolean;
  /** The most executions the candidate may run at once at 100% (Plan read it: reserved, else the account's pool); absent when unknown. */
  concurrency?: { limit: number; source: 'reserved' | 'account' };
  /** SQS-triggered canaries: the queue's settings from the plan (`queueJudgeSetup(plan.queue)`). */
  queue?: QueueJudgeSetup;
  /** The promotion test and exposure Plan fixed before the first shift (`plan.promotion`). */
  promotion?: PlannedPromotion;
  /**
   * True at the look where the canary's budget has run out: a candidate that has shown the bar is
   * promoted with the final step's share as served, rather than rolled back for want of it.
   */
  budgetSpent?: boolean;
  /**
   * True on a step before the last once holding it longer would leave the later steps and the final
   * weight's planned minutes more than the budget has left: a lean no longer holds it (src/core/look.ts).
   */
  noRoomToHold?: boolean;
}

/** The promotion test and the exposure each step needs, as Plan fixed them from pre-shift data. */
export interface PlannedPromotion extends PromotionTest {
  /** Candidate requests each step needs before it may pass, by step index. */
  stepMinRequests: number[];
  /** Requests the final step itself must serve before promotion. */
  finalStepMinRequests: number;
  /** Minutes the plan expects the final weight to take to serve that share (absent in plans made before it said). */
  finalStepMinutes?: number;
}

/**
 * - `fail`: roll back now (a guardrail tripped, or evidence that the candidate is worse).
 * - `pass`: evidence enough to leave this step (to advance, or to promote on the final step).
 * - `inconclusive`: not yet; too little traffic or data to say either.
 */
export type JudgePhase = 'fail' | 'pass' | 'inconclusive';

/** Small, JSON-safe figures a person reads in the console: counts, rates, evidence, bounds. */
export type Figures = Record<string, number | string | boolean | null>;

/** What the judge carries from one look to the next (evidence, cumulative counts). JSON only. */
export type JudgeMemory = Record<string, unknown>;

/**
 * One check's verdict at a look, as people and machines read it: its phase, one plain line
 * (intervals and words, no raw evidence), and its own figures.
 */
export interface CheckVerdict {
  /** The check's name: `errors`, `latency`, `guardrails`, `custom:<id>`, `queue`, `data`. */
  name: string;
  phase: JudgePhase;
  /** One line a person can act on, e.g. "candidate fails 1.4–∞× as often as stable, 99% sure: roll back". */
  summary: string;
  figures: Figures;
}

export interface Assessment {
  phase: JudgePhase;
  /** Sentences a person can act on, most important first. */
  reasons: string[];
  /** Every check that judged this look, the decisive first (fails, then the undecided, then passes). Judges plugged in for tests may leave it out. */
  checks?: CheckVerdict[];
  figures: Figures;
  memory: JudgeMemory;
}

export interface JudgeInput {
  /** What the judge returned last time; undefined on the first look. */
  memory: JudgeMemory | undefined;
  window: MetricsWindow;
  baseline: Baseline;
  context: JudgeContext;
  settings: AnalysisSettings;
}

/** A judge: Coalmine's own is `assess`; tests and the bench may pass another. */
export type Judge = (input: JudgeInput) => Assessment;
