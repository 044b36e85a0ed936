// The process entry point behind bin/lfs-depot: everything testable lives in main().
import { main } from './main.js';

// `lfs-depot audit | head` closes the pipe before the table is written out: stop quietly, as other tools do,
// rather than dying of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') {
    throw err;
  }
});

process.exitCode = await main(process.argv.slice(2), process.env, {
  stdout: process.stdout,
  stderr: process.stderr,
  // A getter, because merely touching process.stdin opens it; only --password-stdin needs it.
  get stdin() {
    return process.stdin;
  },
});
