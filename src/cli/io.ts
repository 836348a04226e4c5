/**
 * Where a command writes, and what it may know of its surroundings. `main` passes the process's;
 * tests pass buffers.
 */
export interface Output {
  write(text: string): unknown;
  /** True on a terminal: commands then draw progress in place instead of printing lines. */
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): CliIo {
  // `coalmine … | head` closes the pipe early: that is the reader's choice, not an error to report.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** An Output that keeps what is written, for tests and for commands that render before printing. */
export class BufferOutput implements Output {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A CliIo over buffers: `io.stdout.text` and `io.stderr.text` hold what the command printed. */
export function bufferIo(options: { tty?: boolean; env?: Record<string, string | undefined>; cwd?: string } = {}): CliIo & { stdout: BufferOutput; stderr: BufferOutput } {
  return { stdout: new BufferOutput(options.tty ?? false), stderr: new BufferOutput(false), env: options.env ?? {}, cwd: options.cwd ?? process.cwd() };
}
