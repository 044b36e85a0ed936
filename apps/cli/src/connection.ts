import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { CliError, ExitCode, isError } from './cli.errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Where the admin API is and the bearer token to present to it. */
export interface Connection {
  /** Server base URL without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly token: string;
  /** Where the token came from (`--token`, `LFS_DEPOT_TOKEN` or a file), for the message when it is refused. */
  readonly tokenSource?: string;
}

/** Inputs of resolveConnection: flags win over the environment, which wins over the token files. */
export interface ConnectionSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The lfs-depot checkout the CLI runs from; its data/admin-token is the last place looked at. */
  readonly installDir?: string | undefined;
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  /** --data-dir: the server's DATA_DIR; when given, its admin-token is the only file read. */
  readonly dataDir?: string | undefined;
}

/**
 * Picks the server URL and admin token: --url, else LFS_DEPOT_URL, else the default; --token, else
 * LFS_DEPOT_TOKEN, else the admin-token file of --data-dir, or else the first that exists of $DATA_DIR, ./data and
 * the checkout's own data/ (where `npm start` generates it), so that the CLI works from any folder.
 */
export function resolveConnection(sources: ConnectionSources): Connection {
  return { baseUrl: resolveUrl(sources), ...resolveToken(sources) };
}

function resolveUrl({ url, env }: ConnectionSources): string {
  const fromEnv = nonEmpty(env['LFS_DEPOT_URL']);
  const raw = url ?? fromEnv ?? DEFAULT_URL;
  const origin = url !== undefined ? '--url' : fromEnv !== undefined ? 'LFS_DEPOT_URL' : 'the default';
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CliError(
      `invalid server URL '${raw}' (from ${origin}); expected e.g. ${DEFAULT_URL}`,
      ExitCode.USAGE,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(
      `invalid server URL '${raw}' (from ${origin}): only http and https are supported`,
      ExitCode.USAGE,
    );
  }
  // Keep any path prefix (a server mounted under /lfs behind a reverse proxy) but drop query, hash and
  // trailing slashes so that joining `/api/v1/...` never doubles a slash.
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** One place an admin-token file may be, and why it is looked at. */
interface TokenFile {
  readonly file: string;
  readonly reason: string;
}

function resolveToken(sources: ConnectionSources): { token: string; tokenSource: string } {
  const { token, env } = sources;
  if (token !== undefined) {
    if (token.trim() === '') {
      throw new CliError('--token is empty', ExitCode.USAGE);
    }
    return { token: token.trim(), tokenSource: '--token' };
  }
  const fromEnv = nonEmpty(env['LFS_DEPOT_TOKEN']);
  if (fromEnv !== undefined) {
    return { token: fromEnv.trim(), tokenSource: 'LFS_DEPOT_TOKEN' };
  }
  const candidates = tokenFiles(sources);
  for (const { file } of candidates) {
    const content = readTokenFile(file);
    if (content !== undefined) {
      const found = content.trim();
      if (found === '') {
        throw new CliError(`the admin token file ${file} is empty`);
      }
      return { token: found, tokenSource: file };
    }
  }
  throw new CliError(
    [
      'no admin token: LFS_DEPOT_TOKEN is not set and none of these files exists:',
      ...candidates.map(({ file, reason }) => `  ${file} (${reason})`),
      "Pass --token, set LFS_DEPOT_TOKEN, or give --data-dir the server's DATA_DIR " +
        '(the server prints where its admin token is when it generates one).',
    ].join('\n'),
  );
}

/** The admin-token files to try, in order, each once. */
function tokenFiles({ dataDir, env, cwd, installDir }: ConnectionSources): TokenFile[] {
  if (dataDir !== undefined) {
    return [{ file: resolve(cwd, dataDir, 'admin-token'), reason: '--data-dir' }];
  }
  const fromEnv = nonEmpty(env['DATA_DIR']);
  const candidates: TokenFile[] = [
    ...(fromEnv === undefined ? [] : [{ file: resolve(cwd, fromEnv, 'admin-token'), reason: 'DATA_DIR' }]),
    { file: resolve(cwd, 'data', 'admin-token'), reason: 'the current folder' },
    ...(installDir === undefined
      ? []
      : [{ file: resolve(installDir, 'data', 'admin-token'), reason: 'the lfs-depot checkout' }]),
  ];
  return candidates.filter((c, i) => candidates.findIndex((other) => other.file === c.file) === i);
}

/** The file's text, or undefined when there is no such file. */
function readTokenFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (isError(err) && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) {
      return undefined;
    }
    throw new CliError(
      `cannot read the admin token from ${file}: ${isError(err) ? err.message : String(err)}`,
    );
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
