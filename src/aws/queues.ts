/**
 * The QueueInspector port, joined from its two halves: Lambda's event source mappings (lambda.ts)
 * and SQS's queue attributes and redrive (sqs.ts). It translates; the core decides what the
 * mappings mean for a canary (unqualified mappings, FIFO, disabled mappings…).
 */
import type { EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import type { QueueInspector, QueueSource } from '../core/ports.ts';
import { parseArn } from '../core/arn.ts';
import type { EventSourceMappings } from './lambda.ts';
import type { SqsQueues } from './sqs.ts';

/** Mapping states in which the mapping polls, or is about to (ListEventSourceMappings `State`). */
const POLLING_STATES = new Set(['Enabled', 'Enabling', 'Updating', 'Creating']);

function isSqsMapping(mapping: EventSourceMappingConfiguration): mapping is EventSourceMappingConfiguration & { EventSourceArn: string } {
  return typeof mapping.EventSourceArn === 'string' && parseArn(mapping.EventSourceArn)?.service === 'sqs';
}

export function queueInspector(mappings: EventSourceMappings, queues: SqsQueues): QueueInspector {
  return {
    async listQueueSources(functionName) {
      const sqsMappings = (await mappings.listForFunction(functionName)).filter(isSqsMapping);
      const sources: QueueSource[] = [];
      for (const mapping of sqsMappings) {
        const queue = await queues.describe(mapping.EventSourceArn);
        const source: QueueSource = {
          mappingId: mapping.UUID ?? '',
          functionArn: mapping.FunctionArn ?? '',
          queueArn: queue.arn,
          queueUrl: queue.url,
          queueName: queue.name,
          fifo: queue.fifo,
          batchSize: mapping.BatchSize ?? 10,
          batchingWindowSeconds: mapping.MaximumBatchingWindowInSeconds ?? 0,
          reportBatchItemFailures: (mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
          enabled: POLLING_STATES.has(mapping.State ?? ''),
          visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
          metricsEnabled: (mapping.MetricsConfig?.Metrics ?? []).includes('EventCount'),
        };
        if (queue.dlq) source.dlq = queue.dlq;
        sources.push(source);
      }
      return sources;
    },
    depth: (queueUrl) => queues.depth(queueUrl),
    redrive: (dlq, source, since, options) => queues.redrive(dlq, source, since, options),
  };
}
