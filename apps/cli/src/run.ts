// The process entry point behind bin/lfs-depot: everything testable lives in main().
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), process.env, {
  stdout: process.stdout,
  stderr: process.stderr,
  // A getter, because merely touching process.stdin opens it; only --password-stdin needs it.
  get stdin() {
    return process.stdin;
  },
});
