import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  AliasChangedError,
  AliasNotFoundError,
  InvalidRequestError,
  ThrottledError,
  TransientServiceError,
} from '../../src/core/errors.ts';
import { callAws, toCoalmineError } from '../../src/aws/errors.ts';

function awsError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...extra });
}

describe('toCoalmineError', () => {
  it.each(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'RequestThrottled'])(
    'maps %s to ThrottledError',
    (name) => {
      expect(toCoalmineError(awsError(name), 'x:Y')).toBeInstanceOf(ThrottledError);
    },
  );

  it('maps an HTTP 429 with an unknown name to ThrottledError', () => {
    expect(toCoalmineError(awsError('SomethingNew', { $metadata: { httpStatusCode: 429 } }), 'x:Y')).toBeInstanceOf(ThrottledError);
  });

  it.each([
    ['ServiceException', {}],
    ['Anything', { $fault: 'server' }],
    ['Anything', { $metadata: { httpStatusCode: 503 } }],
    ['TimeoutError', {}],
    ['Error', { code: 'ECONNRESET' }],
  ])('maps %s %o to TransientServiceError', (name, extra) => {
    expect(toCoalmineError(awsError(name, extra), 'x:Y')).toBeInstanceOf(TransientServiceError);
  });

  it.each(['AccessDeniedException', 'AccessDenied'])('maps %s to AccessDeniedError', (name) => {
    expect(toCoalmineError(awsError(name), 'x:Y')).toBeInstanceOf(AccessDeniedError);
  });

  it('maps a stale RevisionId to AliasChangedError', () => {
    expect(toCoalmineError(awsError('PreconditionFailedException'), 'lambda:UpdateAlias')).toBeInstanceOf(AliasChangedError);
  });

  it('maps not-found to the error the caller names, and passes it on unchanged when none is named', () => {
    const error = awsError('ResourceNotFoundException');
    const mapped = toCoalmineError(error, 'lambda:GetAlias', { notFound: (message, cause) => new AliasNotFoundError(message, { cause }) });

    expect(mapped).toBeInstanceOf(AliasNotFoundError);
    expect(toCoalmineError(error, 'lambda:GetAlias')).toBe(error);
  });

  it('keeps the SDK error as the cause and says which call failed', () => {
    const error = awsError('ThrottlingException');
    const mapped = toCoalmineError(error, 'cloudwatch:GetMetricData') as Error;

    expect(mapped.cause).toBe(error);
    expect(mapped.message).toBe('cloudwatch:GetMetricData: ThrottlingException: ThrottlingException happened');
    expect(mapped.name).toBe('ThrottledError');
  });

  it('leaves Coalmine errors and unknown client errors as they are', () => {
    const ours = new InvalidRequestError('bad');
    const unknown = awsError('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } });

    expect(toCoalmineError(ours, 'x:Y')).toBe(ours);
    expect(toCoalmineError(unknown, 'x:Y')).toBe(unknown);
  });
});

describe('callAws', () => {
  it('returns what the call returns', async () => {
    expect(await callAws('x:Y', async () => 42)).toBe(42);
  });

  it('rethrows the mapped error', async () => {
    await expect(callAws('x:Y', async () => Promise.reject(awsError('Throttling')))).rejects.toBeInstanceOf(ThrottledError);
  });
});
