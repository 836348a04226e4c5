/**
 * What every Coalmine Lambda handler shares: a small JSON logger, the keys that tie a log line to
 * its execution and alias, and a wrapper that logs the outcome and rethrows errors untouched (their
 * names are what the state machine's Retry and Catch match).
 *
 * @example
 * const shift = createShift({ router: lambdaTrafficRouter(new LambdaClient(CLIENT_RETRY)), clock: systemClock });
 * export const handler = taskHandler('shift', shift);
 */
import type { Context } from 'aws-lambda';

const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'SILENT'>;

function threshold(): number {
  // Lambda's LoggingConfig.ApplicationLogLevel reaches the function as AWS_LAMBDA_LOG_LEVEL.
  const name = (process.env['COALMINE_LOG_LEVEL'] ?? process.env['AWS_LAMBDA_LOG_LEVEL'] ?? 'INFO').toUpperCase();
  return LEVELS[name as keyof typeof LEVELS] ?? LEVELS.INFO;
}

/**
 * One JSON object a line on stdout. Lambda's JSON log format keeps lines that are JSON already as
 * they are, so these are searchable by key in Logs Insights. A logger library would cost every
 * bundle about 16 KB for the same lines.
 */
class JsonLogger {
  private keys: Record<string, string> = {};
  private readonly minimum = threshold();

  constructor(private readonly service: string) {}

  appendKeys(keys: Record<string, string>): void {
    Object.assign(this.keys, keys);
  }

  addContext(context: Context): void {
    this.appendKeys({ function_name: context.functionName, function_request_id: context.awsRequestId });
  }

  resetKeys(): void {
    this.keys = {};
  }

  info(message: string): void {
    this.write('INFO', message);
  }

  error(message: string, error?: Error): void {
    this.write('ERROR', message, error ? { error: { name: error.name, message: error.message, stack: error.stack } } : {});
  }

  private write(level: Level, message: string, extra: Record<string, unknown> = {}): void {
    if (LEVELS[level] < this.minimum) return;
    const line = { level, message, timestamp: new Date().toISOString(), service: this.service, ...this.keys, ...extra };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

export const logger = new JsonLogger(process.env['COALMINE_SERVICE_NAME'] ?? 'coalmine');

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
