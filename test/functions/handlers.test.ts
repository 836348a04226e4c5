import { beforeEach, describe, expect, it, vi } from 'vitest';

const { fakeSteps, createSteps, assess } = vi.hoisted(() => {
  const fakeSteps = {
    plan: vi.fn(),
    shift: vi.fn(),
    evaluate: vi.fn(),
    promote: vi.fn(),
    rollback: vi.fn(),
    redrive: vi.fn(),
    cleanup: vi.fn(),
  };
  return { fakeSteps, createSteps: vi.fn(() => fakeSteps), assess: vi.fn() };
});

vi.mock('../../src/core/steps/index.ts', () => ({ createSteps }));
vi.mock('../../src/core/judge/index.ts', () => ({ assess }));
vi.mock('../../src/aws/lambda-handler.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/aws/lambda-handler.ts')>();
  // Keep the wrapper, quiet the logs.
  for (const level of ['info', 'error'] as const) vi.spyOn(original.logger, level).mockImplementation(() => undefined);
  return original;
});

const STEPS = ['plan', 'shift', 'evaluate', 'promote', 'rollback', 'redrive', 'cleanup'] as const;

beforeEach(() => {
  for (const step of STEPS) fakeSteps[step].mockReset();
});

describe.each(STEPS)('functions/%s/handler', (step) => {
  it(`delegates the event to steps.${step} and returns its result`, async () => {
    const event = { execution: { id: 'arn:exec', name: 'exec-1' }, state: { plan: { functionName: 'checkout', alias: 'live' } } };
    fakeSteps[step].mockResolvedValue({ status: `${step} done` });
    const { handler } = await import(`../../functions/${step}/handler.ts`);

    const result = await handler(event);

    expect(result).toEqual({ status: `${step} done` });
    expect(fakeSteps[step]).toHaveBeenCalledWith(event);
    for (const other of STEPS.filter((s) => s !== step)) expect(fakeSteps[other]).not.toHaveBeenCalled();
  });

  it('rethrows the step’s error with its name, for the state machine to match', async () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledError' });
    fakeSteps[step].mockRejectedValue(error);
    const { handler } = await import(`../../functions/${step}/handler.ts`);

    await expect(handler({})).rejects.toBe(error);
  });

  it('wires the steps to AWS ports and the judge when the module loads', async () => {
    await import(`../../functions/${step}/handler.ts`);

    const [ports, options] = createSteps.mock.calls[0] as unknown as [Record<string, unknown>, { judge: unknown }];
    expect(Object.keys(ports).sort()).toEqual(['clock', 'functions', 'metrics', 'queues', 'router']);
    expect(options.judge).toBe(assess);
  });
});
