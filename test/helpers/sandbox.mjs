// What the tests, the CLI's git fixture and bench/ all need to drive lfs-depot from outside: a git (and git-lfs)
// environment that never reads or writes the user's settings, and a client of the admin API. Plain JavaScript, so
// that bench/ runs it with node as it is and the TypeScript specs import the same file (types in sandbox.d.mts).
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Variables of ours that must not leak from the caller's shell into a product a test or the benchmark starts. */
const PRODUCT_VARIABLES = [
  'HOST',
  'PORT',
  'PUBLIC_URL',
  'DATA_DIR',
  'DATABASE_URL',
  'REDIS_URL',
  'STORAGE',
  'STORAGE_FALLBACK',
  'LFS_ADMIN_TOKEN',
  'API_HOST',
  'API_PORT',
  'API_URL',
  'INTERNAL_SECRET',
  'API_SECRET',
  'MAX_OBJECTS_PER_BATCH',
  'MAX_OBJECT_SIZE',
  'MAX_LOCKS_PER_PROJECT',
  'ACTION_TTL_SECONDS',
  'TRUSTED_PROXY_HOPS',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'METRICS_TOKEN',
  'DIRECT_TRANSFERS',
];

/** A copy of `env` without PRODUCT_VARIABLES, for the processes of a product under test to start from. */
export function withoutProductVariables(env) {
  const copy = { ...env };
  for (const variable of PRODUCT_VARIABLES) {
    delete copy[variable];
  }
  return copy;
}

/**
 * Writes a global git config into `home` (created if missing) and returns the environment that confines git to
 * it: its own HOME and global config, no system config, no prompts, a fixed author, `main` as the default branch.
 * With `lfs` (the default) the config also holds what `git lfs install` adds, and credentials come only from URLs.
 */
export async function sandboxGitEnvironment(
  home,
  { name = 'Test', email = 'test@example.com', lfs = true } = {},
) {
  await mkdir(home, { recursive: true });
  const config = path.join(home, '.gitconfig');
  const lines = ['[init]', '\tdefaultBranch = main'];
  if (lfs) {
    lines.push(
      '[filter "lfs"]',
      '\tclean = git-lfs clean -- %f',
      '\tsmudge = git-lfs smudge -- %f',
      '\tprocess = git-lfs filter-process',
      '\trequired = true',
      '[lfs]',
      '\tlocksverify = false',
      '[credential]',
      '\thelper = ',
    );
  }
  await writeFile(config, [...lines, ''].join('\n'));
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: config,
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    LANG: 'C',
  };
}

/** Runs git in `cwd`; rejects with an error whose message holds git's output, also kept as its stdout and stderr. */
export async function git(cwd, env, ...args) {
  try {
    return await execFileAsync('git', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error;
    throw Object.assign(
      new Error(`git ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`, { cause: error }),
      { stdout, stderr },
    );
  }
}

/** A project's LFS endpoint, `{baseUrl}/{project}.git/info/lfs`, with credentials embedded as git-lfs accepts them. */
export function lfsUrl(baseUrl, project, credentials) {
  const url = new URL(`${baseUrl}/${project}.git/info/lfs`);
  if (credentials) {
    url.username = encodeURIComponent(credentials.username);
    url.password = encodeURIComponent(credentials.password);
  }
  return url.toString();
}

/** A client of the admin API at `{baseUrl}/api/v1` (the proxy forwards it) with a bearer token and `headers`. */
export function adminClient(baseUrl, token, { headers = {} } = {}) {
  const call = async (method, urlPath, body) => {
    const response = await fetch(`${baseUrl}/api/v1${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const ok = async (method, urlPath, body) => {
    const answer = await call(method, urlPath, body);
    if (answer.status < 200 || answer.status > 299) {
      throw new Error(`admin ${method} ${urlPath} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  };
  return {
    call,
    ok,
    createUser: (username, password, admin = false) =>
      call('POST', '/users', { username, ...(password === undefined ? {} : { password }), admin }),
    createToken: (username, name = 'test', expiresAt) =>
      call('POST', `/users/${username}/tokens`, { name, ...(expiresAt ? { expires_at: expiresAt } : {}) }),
    createProject: (projectPath, visibility = 'private', quotaBytes) =>
      call('POST', '/projects', {
        path: projectPath,
        visibility,
        ...(quotaBytes === undefined ? {} : { quota_bytes: quotaBytes }),
      }),
    setMember: (projectPath, username, role) =>
      call('PUT', `/projects/${encodeURIComponent(projectPath)}/members/${username}`, { role }),
    statistics: (projectPath) => call('GET', `/projects/${encodeURIComponent(projectPath)}/statistics`),
  };
}
