/**
 * Reading a file a person names (a request, a scenario, a release): only a regular file of a sane
 * size is read, so that `--request /dev/zero` or a named pipe is refused by name instead of filling
 * memory or waiting forever, and a folder or a dangling link is named with why it cannot be read.
 * The path is a plain path: `#`, `?` and `%41` in it are characters of the file's name.
 */
import { readFileSync, statSync } from 'node:fs';
import { InvalidRequestError } from './core/errors.ts';

/** The largest input file read: requests, scenarios and releases are a few KB; Step Functions takes 256 KB of input. */
export const MAX_INPUT_FILE_BYTES = 10 * 1024 * 1024;

/**
 * The text of the file at `path` (`shown` is how the user wrote it, `label` the option or field
 * that named it). Throws InvalidRequestError with one line: `--request: cannot read x.json (ENOENT)`.
 */
export function readInputFile(label: string, path: string, shown: string): string {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new InvalidRequestError(`${label}: ${shown} is a folder, not a file`);
    if (!stat.isFile()) throw new InvalidRequestError(`${label}: ${shown} is not a regular file (a device, pipe or socket is not read)`);
    size = stat.size;
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    throw cannotRead(label, shown, error);
  }
  if (size > MAX_INPUT_FILE_BYTES) {
    throw new InvalidRequestError(`${label}: ${shown} is ${(size / 1024 / 1024).toFixed(1)} MB; input files are at most ${MAX_INPUT_FILE_BYTES / 1024 / 1024} MB`);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw cannotRead(label, shown, error);
  }
}

function cannotRead(label: string, shown: string, error: unknown): InvalidRequestError {
  return new InvalidRequestError(`${label}: cannot read ${shown} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
}
