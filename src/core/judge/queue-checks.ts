/**
 * Checks for SQS-triggered functions (context.trigger === 'sqs'): queue trends against the
 * pre-canary baseline — retry rate (received vs deleted), backlog, age of the oldest message, DLQ
 * growth. Owned by the engineer who builds the event-driven canary; assess() runs every check listed
 * here for SQS canaries, alongside the per-version error and latency tests.
 *
 * A check is a `JudgeCheck` (check.ts): it reads `input.window.observations[i].queue` and
 * `input.judge.baseline.queue`, returns a phase with reasons and figures, and keeps its own small
 * memory. Give it `alphaWeight` > 0 if it runs a sequential test that should share the α budget.
 */
import type { JudgeCheck } from './check.ts';
import { queueTrendCheck } from './queue.ts';

export const queueChecks: JudgeCheck[] = [queueTrendCheck];
