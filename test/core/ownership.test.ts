import { describe, expect, it } from 'vitest';
import { PlanLimitError } from '../../src/core/errors.ts';
import { isOwner, MAX_DESCRIPTION, ownerId, ownerMark, readOwnerMark, withControl } from '../../src/core/ownership.ts';

const arn = (stateMachine: string, name: string) => `arn:aws:states:eu-west-1:123456789012:execution:${stateMachine}:${name}`;
const ours = { id: arn('coalmine', 'checkout-live-13'), name: 'checkout-live-13' };

describe('the owner mark', () => {
  it('reads back what it wrote: owner, versions and the original description, whole', () => {
    const original = 'checkout production alias; pager: #payments-oncall';
    const mark = readOwnerMark(ownerMark({ executionArn: ours.id, owner: ours.name, stable: '12', candidate: '13', original }));

    expect(mark).toEqual({ id: ownerId(ours.id), owner: ours.name, stable: '12', candidate: '13', original });
    expect(isOwner(mark, ours)).toBe(true);
  });

  it('is owned by the execution ARN, not its name: the same name in another stack is someone else', () => {
    const mark = readOwnerMark(ownerMark({ executionArn: ours.id, owner: ours.name, stable: '12', candidate: '13', original: '' }));

    expect(isOwner(mark, { id: arn('other-stack', ours.name), name: ours.name })).toBe(false);
  });

  it('drops the name, never the description, when both do not fit', () => {
    const original = 'x'.repeat(180);
    const description = ownerMark({ executionArn: ours.id, owner: 'n'.repeat(80), stable: '12', candidate: '13', original });

    expect(description.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    expect(readOwnerMark(description)).toMatchObject({ original, id: ownerId(ours.id) });
    expect(readOwnerMark(description)?.owner).toBeUndefined();
  });

  it('refuses a description that cannot be kept whole (254 characters), with the numbers', () => {
    expect(() => ownerMark({ executionArn: ours.id, owner: ours.name, stable: '12', candidate: '13', original: 'd'.repeat(254) })).toThrow(PlanLimitError);
    expect(() => ownerMark({ executionArn: ours.id, owner: ours.name, stable: '12', candidate: '13', original: 'd'.repeat(254) })).toThrow(/^alias description: 254 characters; Coalmine's owner mark needs 61 of Lambda's 256, so the description could not be restored whole; shorten it to 195 characters or fewer$/);
  });

  it('still reads marks written by name only, and matches them by name', () => {
    const mark = readOwnerMark('coalmine-canary owner=checkout-live-13 stable=12 candidate=13 | prod');

    expect(mark).toEqual({ owner: 'checkout-live-13', stable: '12', candidate: '13', original: 'prod' });
    expect(isOwner(mark, ours)).toBe(true);
  });

  it('carries an operator control (pause, promote) and takes it out again, keeping owner and description', () => {
    const description = ownerMark({ executionArn: ours.id, owner: ours.name, stable: '12', candidate: '13', original: 'prod | pager' });
    const paused = withControl(description, 'pause')!;

    expect(paused).toBe(description.replace(' | prod', ' control=pause | prod'));
    expect(readOwnerMark(paused)).toEqual({ id: ownerId(ours.id), owner: ours.name, stable: '12', candidate: '13', control: 'pause', original: 'prod | pager' });
    expect(isOwner(readOwnerMark(paused), ours)).toBe(true);
    expect(withControl(withControl(paused, 'promote')!, undefined)).toBe(description);
  });

  it('drops the name to make room for a control, and gives up only when even that does not fit', () => {
    const tight = ownerMark({ executionArn: ours.id, owner: ours.name, stable: '12', candidate: '13', original: 'd'.repeat(160) });

    expect(readOwnerMark(tight)?.owner).toBe(ours.name);
    expect(readOwnerMark(withControl(tight, 'promote')!)).toMatchObject({ control: 'promote', original: 'd'.repeat(160) });
    expect(readOwnerMark(withControl(tight, 'promote')!)?.owner).toBeUndefined();
    expect(withControl(ownerMark({ executionArn: ours.id, owner: ours.name, stable: '12', candidate: '13', original: 'd'.repeat(180) }), 'promote')).toBeUndefined();
    expect(withControl('not a mark', 'pause')).toBeUndefined();
  });
});
