import { types } from 'node:util';

/**
 * True for any Error, including those Node's built-ins create in another realm (as under jest's vm modules),
 * where `instanceof Error` is false.
 */
export function isError(value: unknown): value is Error & { code?: unknown } {
  return value instanceof Error || types.isNativeError(value);
}

/** Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** A failure with a message meant for the person at the terminal, printed as `lfs-depot: <message>`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong; reported with the usage of the command and exit code 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    /** Usage lines of the command that was being parsed. */
    readonly usage: readonly string[],
    /** What to type for the full help, e.g. `lfs-depot projects create --help`. */
    readonly helpHint: string,
  ) {
    super(message, ExitCode.USAGE);
    this.name = 'UsageError';
  }
}
