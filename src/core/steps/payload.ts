/**
 * What each Task receives. Every step parses its payload first and refuses a malformed one with a
 * one-line InvalidRequestError naming the field, before anything is touched.
 */
import * as z from 'zod/mini';
import '../zod-messages.ts';
import { InvalidRequestError } from '../errors.ts';
import { canaryStateSchema, executionRefSchema } from '../state.ts';

export const planPayload = z.object({ request: z.unknown(), execution: executionRefSchema });
export const statePayload = z.object({ state: canaryStateSchema, execution: executionRefSchema });
export const rollbackPayload = z.object({ state: z.record(z.string(), z.unknown()), execution: executionRefSchema });

export function parsePayload<T>(schema: z.ZodMiniType<T>, payload: unknown, step: string): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidRequestError(`${step} input: ${issue.path.map(String).join('.') || 'payload'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The queue to read metrics of; the mapping's own counts only when it publishes them (MetricsConfig). */
export function queueRef(queue: { queueName: string; dlq?: { name: string } | undefined; mappingId: string; metricsEnabled?: boolean | undefined }): { queueName: string; dlqName?: string; mappingId?: string } {
  return { queueName: queue.queueName, ...(queue.dlq ? { dlqName: queue.dlq.name } : {}), ...(queue.metricsEnabled ? { mappingId: queue.mappingId } : {}) };
}
