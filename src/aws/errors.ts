/**
 * One place that turns what the AWS SDK throws into Coalmine's named errors (src/core/errors.ts),
 * because those names are what the state machine's `Retry`/`Catch` match. The original error is
 * always kept as `cause`, so nothing is lost for the person reading the execution.
 *
 * @example
 * const alias = await callAws('lambda:GetAlias', () => client.send(new GetAliasCommand(input)), {
 *   notFound: (message, cause) => new AliasNotFoundError(message, { cause }),
 * });
 */
import {
  AccessDeniedError,
  AliasChangedError,
  CoalmineError,
  ThrottledError,
  TransientServiceError,
} from '../core/errors.ts';

/** Error names (or codes) that AWS services use when they throttle a caller. */
const THROTTLING_NAMES = new Set([
  'TooManyRequestsException', // Lambda
  'ThrottlingException',
  'Throttling', // CloudWatch (query protocol)
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled', // SQS
  'RequestThrottledException',
  'AWS.SimpleQueueService.RequestThrottled',
  'OverLimit', // SQS: too many messages in flight; passes when they drain
  'SlowDown',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
]);

/** Server-side failures and conflicts that pass on their own: retried by the state machine. */
const TRANSIENT_NAMES = new Set([
  'ServiceException', // Lambda's 500
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'InternalServiceError',
  'InternalServiceFault',
  'InternalServerError',
  'ResourceConflictException', // Lambda: "another operation is in progress" on the function
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

/** Socket-level codes from Node that mean "the network hiccuped", not "the request is wrong". */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Names that mean the resource asked for does not exist; the caller says which error that is. */
const NOT_FOUND_NAMES = new Set([
  'ResourceNotFoundException',
  'ResourceNotFound',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
]);

interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shapeOf(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export interface ErrorContext {
  /** Builds the caller's not-found error, e.g. AliasNotFoundError. Absent: not-found is passed on as is. */
  notFound?: (message: string, cause: unknown) => Error;
}

/**
 * Maps an error thrown by an AWS SDK v3 call to Coalmine's named error. Errors that are already
 * Coalmine's, and errors it does not recognise, are returned unchanged (the state machine's Catch
 * rolls those back without retrying).
 *
 * @param action what was being done, e.g. `lambda:UpdateAlias`; it starts the message.
 */
export function toCoalmineError(error: unknown, action: string, context: ErrorContext = {}): unknown {
  if (error instanceof CoalmineError) return error;
  const shape = shapeOf(error);
  const name = text(shape.name);
  const code = text(shape.code);
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  const message = `${action}: ${name || code || 'Error'}: ${text(shape.message) || String(error)}`;

  if (name === 'PreconditionFailedException') {
    // Lambda's answer to a stale RevisionId: someone changed the alias since we read it.
    return new AliasChangedError(message, { cause: error });
  }
  if (THROTTLING_NAMES.has(name) || THROTTLING_NAMES.has(code) || status === 429) {
    return new ThrottledError(message, { cause: error });
  }
  if (name.startsWith('AccessDenied') || name === 'UnauthorizedOperation' || name === 'AuthorizationError') {
    return new AccessDeniedError(message, { cause: error });
  }
  if (NOT_FOUND_NAMES.has(name) || NOT_FOUND_NAMES.has(code)) {
    return context.notFound ? context.notFound(message, error) : error;
  }
  if (
    TRANSIENT_NAMES.has(name) ||
    NETWORK_CODES.has(code) ||
    shape.$fault === 'server' ||
    (status !== undefined && status >= 500)
  ) {
    return new TransientServiceError(message, { cause: error });
  }
  return error;
}

/**
 * Runs one AWS call and rethrows its failure as a named error.
 *
 * @example
 * await callAws('sqs:GetQueueUrl', () => sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' })));
 */
export async function callAws<T>(action: string, call: () => Promise<T>, context: ErrorContext = {}): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toCoalmineError(error, action, context);
  }
}

/** True for errors the state machine retries (throttling, transient) once mapped. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ThrottledError || error instanceof TransientServiceError;
}
