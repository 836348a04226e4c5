import { beforeEach, describe, expect, it, vi } from 'vitest';

const { runs, factories, assess } = vi.hoisted(() => {
  const steps = ['plan', 'pre-traffic', 'shift', 'evaluate', 'promote', 'rollback', 'redrive', 'cleanup'] as const;
  const runs = Object.fromEntries(steps.map((step) => [step, vi.fn()])) as Record<(typeof steps)[number], ReturnType<typeof vi.fn>>;
  const factory = (step: (typeof steps)[number]) => vi.fn(() => runs[step]);
  const factories = {
    createPlan: factory('plan'),
    createPreTraffic: factory('pre-traffic'),
    createShift: factory('shift'),
    createEvaluate: factory('evaluate'),
    createPromote: factory('promote'),
    createRollback: factory('rollback'),
    createRedrive: factory('redrive'),
    createCleanup: factory('cleanup'),
  };
  return { runs, factories, assess: vi.fn() };
});

vi.mock('../../src/core/steps/index.ts', () => factories);
vi.mock('../../src/core/judge/index.ts', async (importOriginal) => ({ ...(await importOriginal<typeof import('../../src/core/judge/index.ts')>()), assess }));
vi.mock('../../src/aws/lambda-handler.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/aws/lambda-handler.ts')>();
  // Keep the wrapper, quiet the logs.
  for (const level of ['info', 'error'] as const) vi.spyOn(original.logger, level).mockImplementation(() => undefined);
  return original;
});

/** Each step, its factory, and the ports it is wired to: only those its step uses. */
const WIRING = [
  ['plan', 'createPlan', ['alarms', 'clock', 'functions', 'metrics', 'queues', 'router']],
  ['pre-traffic', 'createPreTraffic', ['invoker', 'router']],
  ['shift', 'createShift', ['clock', 'router']],
  ['evaluate', 'createEvaluate', ['clock', 'metrics', 'router']],
  ['promote', 'createPromote', ['clock', 'router']],
  ['rollback', 'createRollback', ['clock', 'router']],
  ['redrive', 'createRedrive', ['queues']],
  ['cleanup', 'createCleanup', ['executions', 'in']],
] as const;

beforeEach(() => {
  for (const run of Object.values(runs)) run.mockReset();
});

describe.each(WIRING)('functions/%s/handler', (step, factory, ports) => {
  it(`delegates the event to its step and returns its result`, async () => {
    const event = { execution: { id: 'arn:exec', name: 'exec-1' }, state: { plan: { functionName: 'checkout', alias: 'live' } } };
    runs[step].mockResolvedValue({ status: `${step} done` });
    const { handler } = await import(`../../functions/${step}/handler.ts`);

    const result = await handler(event);

    expect(result).toEqual({ status: `${step} done` });
    expect(runs[step]).toHaveBeenCalledWith(event);
    for (const [other] of WIRING.filter(([s]) => s !== step)) expect(runs[other]).not.toHaveBeenCalled();
  });

  it('rethrows the step’s error with its name, for the state machine to match', async () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledError' });
    runs[step].mockRejectedValue(error);
    const { handler } = await import(`../../functions/${step}/handler.ts`);

    await expect(handler({})).rejects.toBe(error);
  });

  it(`wires its step, by the time it runs, to only the ports it uses: ${ports.join(', ')}`, async () => {
    runs[step].mockResolvedValue({});
    const { handler } = await import(`../../functions/${step}/handler.ts`);
    await handler({});

    expect(factories[factory]).toHaveBeenCalledTimes(1);
    const [wired, judge] = factories[factory].mock.calls[0] as unknown as [Record<string, unknown>, unknown];
    expect(Object.keys(wired).sort()).toEqual([...ports]);
    // Only Evaluate judges.
    expect(judge).toBe(step === 'evaluate' ? assess : undefined);
  });
});
