import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, taskHandler } from '../../src/aws/lambda-handler.ts';
import { executionRef } from '../helpers/factories.ts';

const execution = executionRef('exec-1');
const context = { functionName: 'coalmine-shift', awsRequestId: 'req-1' } as Parameters<ReturnType<typeof taskHandler>>[1];

/** Every line the logger writes while `run` runs, parsed. */
async function linesOf(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return written.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('taskHandler', () => {
  afterEach(() => logger.resetKeys());

  it('logs the step’s status line as one JSON object with the execution, function, alias and request id', async () => {
    const handler = taskHandler('shift', async () => ({ status: 'Step 1 of 3: 10% of checkout:live on version 13' }));

    const [line] = await linesOf(() => handler({ execution, state: { plan: { functionName: 'checkout', alias: 'live' } } }, context));

    expect(line).toMatchObject({
      level: 'INFO',
      message: 'shift: Step 1 of 3: 10% of checkout:live on version 13',
      step: 'shift',
      execution: 'exec-1',
      functionName: 'checkout',
      alias: 'live',
      function_request_id: 'req-1',
    });
    expect(Date.parse(String(line!['timestamp']))).not.toBeNaN();
  });

  it('logs a failure with the error’s name and rethrows the same error, so Retry and Catch see its name', async () => {
    const failure = Object.assign(new Error('alias changed'), { name: 'AliasChangedError' });
    const handler = taskHandler('promote', async () => {
      throw failure;
    });

    await expect(handler({ execution }, context)).rejects.toBe(failure);
    const [line] = await linesOf(() => handler({ execution }, context));
    expect(line).toMatchObject({ level: 'ERROR', message: 'promote failed', error: { name: 'AliasChangedError', message: 'alias changed' } });
  });

  it('does not carry one invocation’s keys into the next', async () => {
    const handler = taskHandler('shift', async () => ({ status: 'ok' }));
    await linesOf(() => handler({ execution, state: { plan: { functionName: 'checkout', alias: 'live' } } }, context));

    const [line] = await linesOf(() => handler({ execution: { ...execution, name: 'exec-2' } }));

    expect(line).toMatchObject({ execution: 'exec-2' });
    expect(line).not.toHaveProperty('functionName');
    expect(line).not.toHaveProperty('function_request_id');
  });
});
