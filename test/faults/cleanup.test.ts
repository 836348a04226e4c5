/**
 * Cleanup's own failures. A canary is stopped in mid-shift (the alias split and marked), then its
 * status change reaches Cleanup the way AWS delivers it: EventBridge invokes Cleanup
 * asynchronously, Lambda tries it three times in all (MaximumRetryAttempts 2 in template.yaml),
 * then hands the event to the failure queue, whose alarm pages someone. Every cell ends either with
 * the alias restored (one version, no routing, owned by nobody, its description whole) or with the
 * event in the failure queue and the alias exactly as the stopped execution left it, never half-written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, ThrottledError, TransientServiceError } from '../../src/core/errors.ts';
import { assess } from '../../src/core/judge/index.ts';
import type { AliasState } from '../../src/core/ports.ts';
import { createSteps, type CleanupResult } from '../../src/core/steps/index.ts';
import type { SimCall } from '../../src/sim/faults.ts';
import { executionArnOf, runWithFault, safetyProblems, statusChangeEvent, type FaultRun } from './harness.ts';

/** Lambda's asynchronous invocation: the first try and two retries. */
const LAMBDA_ATTEMPTS = 3;
/** Calls per invocation that Cleanup itself retries (its default). */
const CLEANUP_ATTEMPTS = 5;

interface Delivery {
  result?: CleanupResult;
  errors: Error[];
  /** The event went to the failure queue: the alarm pages. */
  paged: boolean;
}

/** Delivers the status change to Cleanup as EventBridge and Lambda would, and says how it ended. */
async function deliver(run: FaultRun, event: Record<string, unknown>): Promise<Delivery> {
  const errors: Error[] = [];
  const steps = createSteps(run.account.ports, { judge: assess, cleanup: { sleep: async () => {} } });
  for (let attempt = 0; attempt < LAMBDA_ATTEMPTS; attempt++) {
    try {
      return { result: await steps.cleanup(event), errors, paged: false };
    } catch (error) {
      errors.push(error as Error);
    }
  }
  return { errors, paged: true };
}

async function stopped(): Promise<{ run: FaultRun; split: AliasState }> {
  const run = await runWithFault({ state: 'Shift traffic', fault: 'execution aborted', withoutCleanup: true });
  const split = run.account.aliasNow();
  expect(Object.keys(split.weights), 'the stopped canary left the alias split').not.toHaveLength(0);
  return { run, split };
}

const fail = (run: FaultRun, call: SimCall, error: () => Error, times?: number) => run.account.faults.inject({ call, error, ...(times === undefined ? {} : { times }) });
const eventFor = (run: FaultRun, change: (detail: Record<string, unknown>) => void = () => {}) => {
  const event = statusChangeEvent(run.result.execution, 'ABORTED', run.request, run.account.clock.now()) as { detail: Record<string, unknown> };
  change(event.detail);
  return event;
};

const tally = { cells: 0, safe: 0 };
afterAll(() => console.log(`cleanup fault suite: ${tally.cells} cells, ${tally.safe} ended restored or paged with the alias untouched`));

describe('Cleanup, when it meets faults of its own', () => {
  it.each([
    ['Step Functions throttles DescribeExecution twice', 'executions.describeExecution', () => new ThrottledError('Rate exceeded (injected)'), 2],
    ['Lambda throttles ListAliases four times', 'router.listAliases', () => new ThrottledError('Rate exceeded (injected)'), 4],
    ['Lambda fails UpdateAlias with a 5xx twice', 'router.updateAlias', () => new TransientServiceError('ServiceException (injected)'), 2],
    ['throttling outlasts one invocation but not Lambda\'s retry', 'router.listAliases', () => new ThrottledError('Rate exceeded (injected)'), CLEANUP_ATTEMPTS + 1],
  ] as const)('restores the alias when %s', async (_, call, error, times) => {
    const { run } = await stopped();
    fail(run, call, error, times);

    const delivery = await deliver(run, eventFor(run));
    tally.cells++;

    expect(delivery.paged).toBe(false);
    expect(delivery.result?.action).toBe('restored');
    expect(safetyProblems(run, run.account.aliasNow())).toEqual([]);
    expect(run.account.aliasNow().version).toBe('12');
    tally.safe++;
  });

  it.each([
    ['throttling never stops', 'router.listAliases', () => new ThrottledError('Rate exceeded (injected)'), 'ThrottledError'],
    ['UpdateAlias is denied (IAM)', 'router.updateAlias', () => new AccessDeniedError('not authorized to perform: lambda:UpdateAlias (injected)'), 'AccessDeniedError'],
    ['DescribeExecution is denied (IAM)', 'executions.describeExecution', () => new AccessDeniedError('not authorized to perform: states:DescribeExecution (injected)'), 'AccessDeniedError'],
  ] as const)('pages, and leaves the alias exactly as it was, when %s', async (_, call, error, name) => {
    const { run, split } = await stopped();
    fail(run, call, error);

    const delivery = await deliver(run, eventFor(run));
    tally.cells++;

    expect(delivery.paged).toBe(true);
    expect(delivery.errors.map((e) => e.name)).toEqual(Array(LAMBDA_ATTEMPTS).fill(name));
    expect(run.account.aliasNow()).toEqual(split);
    tally.safe++;
  });

  it('restores when the event comes without the execution\'s input (too large to include)', async () => {
    const { run } = await stopped();

    const delivery = await deliver(run, eventFor(run, (detail) => {
      detail['input'] = null;
      detail['inputDetails'] = { included: false };
    }));
    tally.cells++;

    expect(delivery.result?.action).toBe('restored');
    expect(safetyProblems(run, run.account.aliasNow())).toEqual([]);
    tally.safe++;
  });

  it('restores an aborted SQS canary and says where its dead letters are: none lost, none stranded unsaid', async () => {
    const run = await runWithFault({ state: 'Shift traffic', fault: 'execution aborted', trigger: 'sqs', withoutCleanup: true });

    const delivery = await deliver(run, eventFor(run));
    tally.cells++;

    expect(delivery.result?.action).toBe('restored');
    expect(delivery.result?.reason).toMatch(/the canary's dead letters stay in checkout-events-dlq, none lost: once 30 s have passed, move the ones since the canary started back to checkout-events/);
    expect(safetyProblems(run, run.account.aliasNow())).toEqual([]);
    expect(run.result.queue?.lost).toBe(0);
    tally.safe++;
  });

  it('changes nothing when the same event is delivered again after the alias was restored', async () => {
    const { run } = await stopped();
    await deliver(run, eventFor(run));
    const restored = run.account.aliasNow();

    const again = await deliver(run, eventFor(run));
    tally.cells++;

    expect(again.result?.action).toBe('none');
    expect(run.account.aliasNow()).toEqual(restored);
    tally.safe++;
  });

  it('changes nothing for an event whose execution Step Functions says still runs', async () => {
    const { run, split } = await stopped();
    run.account.recordExecution({ executionArn: executionArnOf(run.result.execution), status: 'RUNNING' });

    const delivery = await deliver(run, eventFor(run));
    tally.cells++;

    expect(delivery.result?.action).toBe('none');
    expect(run.account.aliasNow()).toEqual(split);
    tally.safe++;
  });
});
