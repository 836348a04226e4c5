/**
 * Coalmine's errors. Their names are a contract: the state machine's `Retry` and `Catch`
 * match them (`ErrorEquals`), the CLI maps them to exit codes, and people read them in the
 * console. Every error says, in one line, what is wrong and why.
 *
 * @example
 * throw new InvalidRequestError('strategy.steps: must increase, got 10 then 5');
 */
export class CoalmineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoalmineError';
  }
}

/** The request (or event) is malformed: a field is missing, of the wrong type or out of range. */
export class InvalidRequestError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidRequestError';
  }
}

/** The function does not exist, or the caller may not see it. */
export class FunctionNotFoundError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FunctionNotFoundError';
  }
}

/** A version named in the request does not exist, is `$LATEST`, or equals the other version. */
export class InvalidVersionError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidVersionError';
  }
}

/** The alias does not exist. */
export class AliasNotFoundError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AliasNotFoundError';
  }
}

/** The alias already splits traffic, so it is not on one stable version to start from. */
export class AliasAlreadyRoutedError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AliasAlreadyRoutedError';
  }
}

/** Another execution owns the alias: one canary per alias at a time. */
export class CanaryInProgressError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CanaryInProgressError';
  }
}

/** Someone changed the alias while this canary owned it; Coalmine stops and leaves their change. */
export class AliasChangedError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AliasChangedError';
  }
}

/** The event source setup cannot be canaried safely (unqualified mapping, FIFO without opt-in…). */
export class UnsupportedEventSourceError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsupportedEventSourceError';
  }
}

/**
 * An event (a release event or a published version) asked for what the function's owner did not
 * allow events: a function that has not opted in, a strategy not allowed, a more lenient judge.
 */
export class EventNotAllowedError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventNotAllowedError';
  }
}

/**
 * The plan asks for what AWS would refuse later: a schedule past the execution's 48 hours or its
 * history limit, a state too large, metrics CloudWatch rejects, weights Lambda cannot route, a
 * candidate that is not Active, versions routing cannot split between.
 */
export class PlanLimitError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlanLimitError';
  }
}

/** A release gate is closed (an alarm named in `gates.alarms` is in ALARM): the canary does not start. */
export class ReleaseBlockedError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReleaseBlockedError';
  }
}

/** Coalmine may not do what it must (IAM denied): not retried, rolled back. */
export class AccessDeniedError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessDeniedError';
  }
}

/** An AWS API throttled us; the state machine retries it with backoff and jitter. */
export class ThrottledError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThrottledError';
  }
}

/** An AWS API failed in a way that may pass (5xx, timeout, network); retried like throttling. */
export class TransientServiceError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientServiceError';
  }
}

/** The CLI was pointed at an execution, state machine or stack that does not exist (or it may not see). */
export class ExecutionNotFoundError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecutionNotFoundError';
  }
}

/** The CLI could not tell which state machine to use: no ARN, no stack, or the stack has no such output. */
export class StateMachineNotFoundError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateMachineNotFoundError';
  }
}

/** `coalmine deploy`: the stack is in the middle of an operation, or in a state it cannot be updated from. */
export class StackNotReadyError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackNotReadyError';
  }
}

/** `coalmine deploy`: CloudFormation refused the change set, or the stack rolled back. */
export class DeploymentFailedError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeploymentFailedError';
  }
}

/** `coalmine deploy`: the artifacts bucket cannot be used (another account owns the name, or it cannot be made). */
export class ArtifactsBucketError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtifactsBucketError';
  }
}

/** No usable AWS credentials or region: missing, expired, or for a profile that does not exist. */
export class CredentialsError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

/** The traffic cannot show the default promotion bar within the budget, and the request asked Plan to refuse (`analysis.lowTraffic: "refuse"`). */
export class InsufficientTrafficError extends CoalmineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InsufficientTrafficError';
  }
}

/** Error names the state machine retries. Keep in step with `Retry` in statemachine/canary.asl.json. */
export const RETRYABLE_ERROR_NAMES = ['ThrottledError', 'TransientServiceError'] as const;

/** Error names that mean the request was bad: the CLI exits 2 for these. */
export const BAD_INPUT_ERROR_NAMES = [
  'InvalidRequestError',
  'FunctionNotFoundError',
  'InvalidVersionError',
  'AliasNotFoundError',
  'AliasAlreadyRoutedError',
  'CanaryInProgressError',
  'UnsupportedEventSourceError',
  'EventNotAllowedError',
  'PlanLimitError',
  'InsufficientTrafficError',
] as const;

/** True when `name` is one of the errors that mean "bad input, nothing was touched". */
export function isBadInputError(name: string | undefined): boolean {
  return (BAD_INPUT_ERROR_NAMES as readonly string[]).includes(name ?? '');
}
