/**
 * `coalmine console`: serves the local execution viewer on 127.0.0.1 until stopped.
 */
import { resolve } from 'node:path';
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { stepFunctionsSource } from '../viewer/aws-source.ts';
import { localRecords } from '../viewer/release-view.ts';
import { startViewer } from '../viewer/server.ts';
import { resolveStateMachineArn, type AwsDeps } from './aws-context.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { RELEASE_STATE_MACHINE_ENV, RELEASE_STATE_MACHINE_OUTPUT } from './release.ts';
import type { CliIo } from './io.ts';
import { stateMachineOptions, zodLine } from './options.ts';

export const consoleOptionsSchema = z.strictObject({
  port: z.coerce.number().int('must be a whole number').min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535').default(4477),
  dir: z.string().min(1).default('.coalmine/executions'),
  /** With one of these, the console shows that state machine's executions on AWS instead of local records. */
  ...stateMachineOptions,
});
export type ConsoleOptions = z.input<typeof consoleOptionsSchema>;

/** True when the options name a state machine: the console then reads Step Functions. */
export function wantsStepFunctions(options: Record<string, unknown>): boolean {
  return typeof options['stateMachine'] === 'string' || typeof options['stack'] === 'string';
}

/**
 * Where the releases in waves are, asked for when the list is read: `--stack`'s release state
 * machine output, else the environment; none (no releases shown) with only `--state-machine`.
 */
export function releaseStateMachineOf(choice: { stack?: string | undefined }, env: Record<string, string | undefined>, aws: AwsDeps): (() => Promise<string>) | undefined {
  const { stack } = choice;
  // Looked up once it answers (every release read needs it), again after a failure.
  let arn: Promise<string> | undefined;
  if (stack) return () => (arn ??= aws.stackOutputs.get(stack, RELEASE_STATE_MACHINE_OUTPUT).catch((error: unknown) => ((arn = undefined), Promise.reject(error))));
  const fromEnv = env[RELEASE_STATE_MACHINE_ENV];
  return fromEnv ? async () => fromEnv : undefined;
}

/**
 * Serves until `stopped` resolves (Ctrl-C), then closes. Exit 0; a port in use is exit 1 with one
 * line. With `--state-machine ARN` or `--stack NAME` it shows that state machine's executions
 * (`aws` gives the clients), read through the same fold as `start --wait`, and the stack's releases.
 */
export async function consoleCommand(rawOptions: ConsoleOptions, io: CliIo, stopped: () => Promise<void>, aws?: AwsDeps): Promise<ExitCode> {
  const parsed = consoleOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { stateMachine: '--state-machine' }));
  if (parsed.data.stateMachine && parsed.data.stack) throw new InvalidRequestError('--state-machine and --stack: give one of them');
  const dir = resolve(io.cwd, parsed.data.dir);
  const source =
    aws && (parsed.data.stateMachine || parsed.data.stack)
      ? stepFunctionsSource(aws.executions, await resolveStateMachineArn(parsed.data, io.env, aws), releaseStateMachineOf(parsed.data, io.env, aws))
      : localRecords(dir);
  let viewer;
  try {
    viewer = await startViewer({ source, port: parsed.data.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`--port: ${parsed.data.port} is in use; pass --port 0 for any free port`, { cause: error });
    }
    throw error;
  }
  io.stdout.write(`Coalmine console: ${viewer.url}\nShowing ${source.describe}. Ctrl-C stops it.\n`);
  await stopped();
  await viewer.close();
  return EXIT.ok;
}
