import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { CliError, ExitCode, isError } from './cli.errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Where the admin API is and the bearer token to present to it. */
export interface Connection {
  /** Server base URL without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly token: string;
}

/** Inputs of resolveConnection: flags win over the environment, which wins over the token file. */
export interface ConnectionSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly url?: string | undefined;
  readonly token?: string | undefined;
}

export const TOKEN_NOT_SET =
  'LFS_DEPOT_TOKEN is not set (the server printed where its admin token is, usually data/admin-token)';

/** Picks the server URL and admin token from flags, LFS_DEPOT_URL / LFS_DEPOT_TOKEN and data/admin-token. */
export function resolveConnection(sources: ConnectionSources): Connection {
  return { baseUrl: resolveUrl(sources), token: resolveToken(sources) };
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

function resolveToken({ token, env, cwd }: ConnectionSources): string {
  if (token !== undefined) {
    if (token.trim() === '') {
      throw new CliError('--token is empty', ExitCode.USAGE);
    }
    return token.trim();
  }
  const fromEnv = nonEmpty(env['LFS_DEPOT_TOKEN']);
  if (fromEnv !== undefined) {
    return fromEnv.trim();
  }
  return readTokenFile(resolve(cwd, nonEmpty(env['DATA_DIR']) ?? 'data', 'admin-token'));
}

function readTokenFile(file: string): string {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    if (isError(err) && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) {
      throw new CliError(TOKEN_NOT_SET);
    }
    throw new CliError(
      `cannot read the admin token from ${file}: ${isError(err) ? err.message : String(err)}`,
    );
  }
  const token = content.trim();
  if (token === '') {
    throw new CliError(`${file} is empty; ${TOKEN_NOT_SET}`);
  }
  return token;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
