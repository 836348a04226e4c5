import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors.ts';
import { TRIGGER_SOURCES, normaliseTrigger } from '../../src/core/trigger.ts';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

function refusal(input: unknown): InvalidRequestError {
  try {
    normaliseTrigger(input);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('expected normaliseTrigger to refuse the input');
}

describe('normaliseTrigger', () => {
  it('passes a plain request through unchecked, as the CLI sends it', () => {
    const request = { functionName: 'checkout-api', alias: 'live', candidateVersion: '13' };

    const trigger = normaliseTrigger(request);

    expect(trigger).toEqual({ kind: 'request', request, source: TRIGGER_SOURCES.request });
  });

  it('takes the request from the detail of a "Canary Release Requested" event', () => {
    const event = fixture('canary-release-requested.json');

    const trigger = normaliseTrigger(event);

    expect(trigger).toEqual({ kind: 'request', request: event.detail, source: TRIGGER_SOURCES.releaseEvent });
  });

  it('reads the function, version and ARN from a PublishVersion CloudTrail event', () => {
    const event = fixture('cloudtrail-publish-version.json');

    const trigger = normaliseTrigger(event);

    expect(trigger).toEqual({
      kind: 'published-version',
      functionName: 'my-function',
      version: '3',
      functionArn: 'arn:aws:lambda:us-west-2:123456789012:function:my-function:3',
      source: TRIGGER_SOURCES.publishedVersion,
    });
  });

  it.each([
    ['cloudtrail-update-function-code-publish.json', '4', TRIGGER_SOURCES.publishedWithCode],
    ['cloudtrail-create-function-publish.json', '1', TRIGGER_SOURCES.publishedWithFunction],
  ])('reads the version that %s published (the --publish paths)', (file, version, source) => {
    expect(normaliseTrigger(fixture(file))).toEqual({
      kind: 'published-version',
      functionName: 'my-function',
      version,
      functionArn: `arn:aws:lambda:us-west-2:123456789012:function:my-function:${version}`,
      source,
    });
  });

  it('refuses an UpdateFunctionCode call that did not publish, saying so', () => {
    const event = fixture('cloudtrail-update-function-code-publish.json');
    const detail = event.detail as Record<string, Record<string, unknown>>;
    detail.requestParameters!.publish = false;
    detail.responseElements!.version = '$LATEST';

    expect(refusal(event).message).toBe('detail.responseElements.version: the UpdateFunctionCode call did not publish a version (no Publish), so there is nothing to canary');
  });

  it('accepts any PublishVersion API version suffix in the event name', () => {
    const event = fixture('cloudtrail-publish-version.json');
    (event.detail as Record<string, unknown>).eventName = 'PublishVersion';

    expect(normaliseTrigger(event)).toMatchObject({ kind: 'published-version', version: '3' });
  });

  it('leaves functionArn out when the event does not carry it', () => {
    const event = fixture('cloudtrail-publish-version.json');
    delete ((event.detail as Record<string, unknown>).responseElements as Record<string, unknown>).functionArn;

    expect(normaliseTrigger(event)).not.toHaveProperty('functionArn');
  });

  it('refuses a PublishVersion call that failed, saying so', () => {
    const error = refusal(fixture('cloudtrail-publish-version-denied.json'));

    expect(error.message).toContain('AccessDenied');
    expect(error.message).not.toContain('\n');
  });

  it('refuses CloudTrail events for other Lambda calls', () => {
    const error = refusal(fixture('cloudtrail-delete-function.json'));

    expect(error.message).toMatch(/^detail\.eventName: .*"DeleteFunction"/);
  });

  it('refuses events from other sources with one line naming them', () => {
    const error = refusal(fixture('scheduled-event.json'));

    expect(error.message).toContain('"aws.events"');
    expect(error.message).toContain('"Scheduled Event"');
    expect(error.message).not.toContain('\n');
  });

  it('refuses a release event without a request in its detail', () => {
    const event = { ...fixture('canary-release-requested.json'), detail: 'please' };

    expect(refusal(event).message).toMatch(/^detail: /);
  });

  it('refuses a published version that is not a number', () => {
    const event = fixture('cloudtrail-publish-version.json');
    ((event.detail as Record<string, unknown>).responseElements as Record<string, unknown>).version = '$LATEST';

    expect(refusal(event).message).toMatch(/^detail\.responseElements\.version: /);
  });

  it('refuses anything that is not a JSON object, in one line', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.anything())),
        (input) => {
          const error = refusal(input);
          expect(error.name).toBe('InvalidRequestError');
          expect(error.message).not.toContain('\n');
        },
      ),
    );
  });

  it('either classifies or refuses any event-shaped object, never throws anything else', () => {
    fc.assert(
      fc.property(
        fc.record({ 'detail-type': fc.oneof(fc.string(), fc.constant('AWS API Call via CloudTrail'), fc.constant('Canary Release Requested')), source: fc.oneof(fc.string(), fc.constant('aws.lambda'), fc.constant('coalmine')), detail: fc.anything() }),
        (event) => {
          try {
            const trigger = normaliseTrigger(event);
            expect(['request', 'published-version']).toContain(trigger.kind);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidRequestError);
          }
        },
      ),
    );
  });
});
