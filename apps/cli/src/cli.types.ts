/** A sink for text: process.stdout/stderr in production, a string buffer in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

/** Where commands read and write; injected so tests never touch the real process streams. */
export interface Io {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly stdin: AsyncIterable<string | Uint8Array>;
}

/** Everything a command may depend on besides its arguments, for one run of the program. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: Io;
  /** Directory that relative paths (./data/admin-token, a relative DATA_DIR) resolve against. */
  readonly cwd: string;
  /** The lfs-depot checkout this CLI belongs to (its data/ is where `npm start` keeps the admin token), if known. */
  readonly installDir: string | undefined;
  /** What main() returns once the command has run; a command that decides its own status (pre-receive) sets it. */
  exitCode: number;
}
