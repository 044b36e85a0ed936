import { ApiError, ConnectionError } from './admin.client.js';
import { CliError, ExitCode, isError, UsageError } from './cli.errors.js';
import type { TextSink } from './cli.types.js';

/** Prints any failure as `lfs-depot: …` lines on stderr and returns the exit code it deserves. */
export function reportError(err: unknown, stderr: TextSink): number {
  if (err instanceof UsageError) {
    stderr.write(
      [
        `lfs-depot: ${err.message}`,
        `usage: ${err.usage.join('\n       ')}`,
        `Run '${err.helpHint}' for more.`,
        '',
      ].join('\n'),
    );
    return err.exitCode;
  }
  if (err instanceof ApiError) {
    stderr.write(`lfs-depot: ${err.message} (HTTP ${err.status})\n`);
    if (err.status === 401) {
      const from = err.tokenSource === undefined ? '' : ` (from ${err.tokenSource})`;
      stderr.write(
        `lfs-depot: the admin token${from} was refused; check LFS_DEPOT_TOKEN, --token or --data-dir\n`,
      );
    }
    return ExitCode.FAILED;
  }
  if (err instanceof ConnectionError) {
    stderr.write(`lfs-depot: ${err.message}; is the server running? Set LFS_DEPOT_URL.\n`);
    return ExitCode.FAILED;
  }
  if (err instanceof CliError) {
    stderr.write(`lfs-depot: ${err.message}\n`);
    return err.exitCode;
  }
  // A bug of ours: keep the stack so that the report is useful.
  stderr.write(`lfs-depot: unexpected error: ${isError(err) ? (err.stack ?? err.message) : String(err)}\n`);
  return ExitCode.FAILED;
}
