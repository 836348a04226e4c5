/**
 * `coalmine console`: serves the local execution viewer on 127.0.0.1 until stopped.
 */
import { resolve } from 'node:path';
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { startViewer } from '../viewer/server.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { zodLine } from './options.ts';

export const consoleOptionsSchema = z.strictObject({
  port: z.coerce.number().int('must be a whole number').min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535').default(4477),
  dir: z.string().min(1).default('.coalmine/executions'),
});
export type ConsoleOptions = z.input<typeof consoleOptionsSchema>;

/** Serves until `stopped` resolves (Ctrl-C), then closes. Exit 0; a port in use is exit 1 with one line. */
export async function consoleCommand(rawOptions: ConsoleOptions, io: CliIo, stopped: () => Promise<void>): Promise<ExitCode> {
  const parsed = consoleOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error));
  const dir = resolve(io.cwd, parsed.data.dir);
  let viewer;
  try {
    viewer = await startViewer({ dir, port: parsed.data.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`--port: ${parsed.data.port} is in use; pass --port 0 for any free port`, { cause: error });
    }
    throw error;
  }
  io.stdout.write(`Coalmine console: ${viewer.url}\nShowing the records in ${dir}. Ctrl-C stops it.\n`);
  await stopped();
  await viewer.close();
  return EXIT.ok;
}
