/**
 * What started a canary. Plan receives whatever the state machine was started with: the request the
 * CLI sends, or a raw EventBridge event (a release event, or CloudTrail's record of a published
 * version). `normaliseTrigger` tells them apart without touching AWS, and refuses anything else with a
 * one-line InvalidRequestError before Plan looks any further.
 */
import { InvalidRequestError } from './errors.ts';

/** Where a trigger came from, as it is recorded in the plan's warnings and logs. */
export const TRIGGER_SOURCES = {
  /** A request sent as is (the CLI, a test, someone's own `StartExecution`). */
  request: 'request',
  /** `source: "coalmine"`, `detail-type: "Canary Release Requested"`: the detail is a request. */
  releaseEvent: 'eventbridge:coalmine/Canary Release Requested',
  /** CloudTrail's record of `lambda:PublishVersion`, delivered by EventBridge. */
  publishedVersion: 'eventbridge:aws.lambda/PublishVersion',
  /** CloudTrail's record of `lambda:UpdateFunctionCode` with `Publish` (`aws lambda update-function-code --publish`). */
  publishedWithCode: 'eventbridge:aws.lambda/UpdateFunctionCode',
  /** CloudTrail's record of `lambda:CreateFunction` with `Publish` (`aws lambda create-function --publish`). */
  publishedWithFunction: 'eventbridge:aws.lambda/CreateFunction',
} as const;

/**
 * The Lambda calls that publish a version, as CloudTrail names them (it appends the API version:
 * `PublishVersion20150331`, `UpdateFunctionCode20150331v2`, `CreateFunction20150331`). The last two
 * publish only with `Publish: true`; without it their response's version is `$LATEST`.
 */
export const PUBLISHING_CALLS = [
  { prefix: 'PublishVersion', source: TRIGGER_SOURCES.publishedVersion },
  { prefix: 'UpdateFunctionCode', source: TRIGGER_SOURCES.publishedWithCode },
  { prefix: 'CreateFunction', source: TRIGGER_SOURCES.publishedWithFunction },
] as const;

export const RELEASE_EVENT = { source: 'coalmine', detailType: 'Canary Release Requested' } as const;
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

export type TriggerSource = (typeof TRIGGER_SOURCES)[keyof typeof TRIGGER_SOURCES];

export type Trigger =
  | {
      kind: 'request';
      /** Still unchecked: Plan parses it with `parseRequest`. */
      request: unknown;
      source: TriggerSource;
    }
  | {
      kind: 'published-version';
      functionName: string;
      /** The version that was published, digits only. */
      version: string;
      /** The qualified ARN of the published version, when the event carries it. */
      functionArn?: string;
      source: TriggerSource;
    };

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${value.slice(0, 60)}"` : typeof value;
}

/**
 * Turns the state machine's input into a request to check, or a published version to look up.
 *
 * - a plain request (an object without `detail-type`) → `{ kind: 'request' }`, unchecked;
 * - `source: "coalmine"`, `detail-type: "Canary Release Requested"` → its `detail` as the request;
 * - `detail-type: "AWS API Call via CloudTrail"`, `source: "aws.lambda"`, `detail.eventName` one of
 *   the PUBLISHING_CALLS (`PublishVersion…`, or `UpdateFunctionCode…`/`CreateFunction…` that
 *   published) → the function and version from `detail.responseElements`.
 *
 * Throws InvalidRequestError, with one line saying why, for anything else.
 *
 * @example
 * normaliseTrigger({ functionName: 'checkout', alias: 'live', candidateVersion: '13' });
 * // → { kind: 'request', request: { functionName: 'checkout', … }, source: 'request' }
 * normaliseTrigger(cloudTrailPublishVersionEvent);
 * // → { kind: 'published-version', functionName: 'my-function', version: '3', functionArn: '…:3', source: 'eventbridge:aws.lambda/PublishVersion' }
 */
export function normaliseTrigger(input: unknown): Trigger {
  if (!isObject(input)) {
    throw new InvalidRequestError(`input: expected a request or an EventBridge event (a JSON object), got ${describe(input)}`);
  }
  if (!('detail-type' in input)) {
    return { kind: 'request', request: input, source: TRIGGER_SOURCES.request };
  }
  const detailType = input['detail-type'];
  const source = input.source;
  if (source === RELEASE_EVENT.source && detailType === RELEASE_EVENT.detailType) {
    if (!isObject(input.detail)) {
      throw new InvalidRequestError(`detail: a "${RELEASE_EVENT.detailType}" event needs the request as its detail, got ${describe(input.detail)}`);
    }
    return { kind: 'request', request: input.detail, source: TRIGGER_SOURCES.releaseEvent };
  }
  if (source === 'aws.lambda' && detailType === CLOUDTRAIL_DETAIL_TYPE) {
    return publishedVersion(input.detail);
  }
  throw new InvalidRequestError(
    `event: Coalmine starts on a request, a "${RELEASE_EVENT.detailType}" event from "${RELEASE_EVENT.source}" or a Lambda PublishVersion CloudTrail event, got source ${describe(source)} with detail-type ${describe(detailType)}`,
  );
}

function publishedVersion(detail: unknown): Trigger {
  if (!isObject(detail)) {
    throw new InvalidRequestError(`detail: a CloudTrail event needs a detail object, got ${describe(detail)}`);
  }
  const eventName = detail.eventName;
  const call = typeof eventName === 'string' ? PUBLISHING_CALLS.find((candidate) => eventName.startsWith(candidate.prefix)) : undefined;
  if (!call) {
    throw new InvalidRequestError(`detail.eventName: only calls that publish a version (PublishVersion, UpdateFunctionCode or CreateFunction with Publish) start a canary, got ${describe(eventName)}`);
  }
  if (typeof detail.errorCode === 'string') {
    // A refused or failed call published nothing: there is no version to canary.
    throw new InvalidRequestError(`detail.errorCode: the ${call.prefix} call failed (${detail.errorCode}), so no version was published`);
  }
  const response = detail.responseElements;
  if (!isObject(response)) {
    throw new InvalidRequestError(`detail.responseElements: expected the published version, got ${describe(response)}`);
  }
  const { functionName, version, functionArn } = response;
  if (typeof functionName !== 'string' || functionName.length === 0) {
    throw new InvalidRequestError(`detail.responseElements.functionName: expected the function's name, got ${describe(functionName)}`);
  }
  if (version === '$LATEST' && call.prefix !== 'PublishVersion') {
    throw new InvalidRequestError(`detail.responseElements.version: the ${call.prefix} call did not publish a version (no Publish), so there is nothing to canary`);
  }
  if (typeof version !== 'string' || !/^[0-9]+$/.test(version)) {
    throw new InvalidRequestError(`detail.responseElements.version: expected a published version number, got ${describe(version)}`);
  }
  return {
    kind: 'published-version',
    functionName,
    version,
    ...(typeof functionArn === 'string' && functionArn.length > 0 ? { functionArn } : {}),
    source: call.source,
  };
}
