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

/** Options accepted before the command name (`lfs-depot --url … stats x`); a command's own flags win. */
export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly json?: boolean;
}

/** Everything a command may depend on besides its arguments. */
export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: Io;
  /** Directory that relative paths (./data/admin-token) resolve against. */
  readonly cwd: string;
  readonly globals: GlobalOptions;
}

/** One entry of the command table: a leaf (`stats`, `projects create`) or a group (`projects`). */
export interface Command {
  /** The full name as typed, e.g. `stats` or `projects create`. */
  readonly name: string;
  /** One line for the command list in `lfs-depot --help`. */
  readonly summary: string;
  /** Usage lines without the leading `usage: `. */
  readonly usage: readonly string[];
  /** A group's subcommands; absent on leaves. */
  readonly subcommands?: readonly Command[];
  /** Runs with the arguments after the command name and resolves to the process exit code. */
  run(args: readonly string[], ctx: CommandContext): Promise<number>;
}
