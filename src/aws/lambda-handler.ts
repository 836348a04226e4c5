/**
 * What every Coalmine Lambda handler shares: one Powertools Logger, the keys that tie a log line to
 * its execution and alias, and a wrapper that logs the outcome and rethrows errors untouched (their
 * names are what the state machine's Retry and Catch match).
 *
 * @example
 * const shift = createShift({ router: lambdaTrafficRouter(new LambdaClient(CLIENT_RETRY)), clock: systemClock });
 * export const handler = taskHandler('shift', shift);
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** Service name and log level come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL. */
export const logger = new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'coalmine' });

function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.length > 0);
}

/**
 * The execution, function and alias an event is about, for the log lines; read defensively, since
 * the handler has not parsed the event yet (the core does).
 */
export function logKeysOf(event: unknown): Record<string, string> {
  const keys: Record<string, string | undefined> = {
    execution: firstString(field(event, 'execution', 'name'), field(event, 'detail', 'name')),
    functionName: firstString(
      field(event, 'state', 'plan', 'functionName'),
      field(event, 'request', 'functionName'),
      field(event, 'request', 'detail', 'functionName'),
      field(event, 'request', 'detail', 'responseElements', 'functionName'),
    ),
    alias: firstString(field(event, 'state', 'plan', 'alias'), field(event, 'request', 'alias'), field(event, 'request', 'detail', 'alias')),
  };
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * Wraps one step as a Lambda handler: adds the Lambda context and the event's keys to the logs,
 * runs the step, logs its status line, and rethrows any error as it is.
 */
export function taskHandler<T>(step: string, run: (event: unknown) => Promise<T>): (event: unknown, context?: Context) => Promise<T> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    logger.appendKeys({ step, ...logKeysOf(event) });
    try {
      const result = await run(event);
      logger.info(`${step}: ${firstString(field(result, 'status'), field(result, 'reason')) ?? 'done'}`);
      return result;
    } catch (error) {
      logger.error(`${step} failed`, error as Error);
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
}
