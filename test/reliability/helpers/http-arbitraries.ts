import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { plausibleOrAnyJson, shapedJson } from '@lfs-depot/testing';
import fc from 'fast-check';

// Generated HTTP requests for the fuzzing scenario: each route's method, path and body as a client might send
// them, right, nearly right, or hostile, with any of the credentials a client might hold.

/** What the fuzzer may put in requests that only the running deployment knows. */
export interface FuzzTargets {
  /** A project the user may write to, with one stored object. */
  project: string;
  stored: { oid: string; size: number };
  /** `Basic …` of a user with write access to `project`. */
  userAuthorization: string;
  adminToken: string;
  /** The header of a real upload action for `stored` (a transfer token), so transfer routes get past auth. */
  transferHeader: Record<string, string>;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const either = (plausible: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => plausibleOrAnyJson(plausible, 3);

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'a',
    'a/b',
    './a',
    '/a',
    'a\\b',
    'b/../a',
    'team/info/lfs/x',
    'x\u0000y',
    'é/ü',
    '%00',
    '..',
  ),
);
/** Path segments: plain, encoded, traversing, NUL, very long. */
const segment = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%00',
      '%2e%2e',
      '%2F',
      'info',
      'lfs',
      '%ZZ',
      '~',
      'a%20b',
      '-',
      '_',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(300)) },
);

function body(targets: FuzzTargets): fc.Arbitrary<unknown> {
  const oid = fc.oneof(hex64, fc.constant(targets.stored.oid), fc.constant('a'.repeat(64)));
  const size = fc.oneof(fc.nat(), fc.constant(targets.stored.size), fc.constantFrom(-1, 2 ** 53, 1e20));
  const ref = shapedJson({ name: either(fc.constantFrom('refs/heads/main', 'main', '')) });
  return fc.oneof(
    shapedJson({
      operation: either(fc.constantFrom('upload', 'download')),
      objects: either(fc.array(shapedJson({ oid: either(oid), size: either(size) }), { maxLength: 4 })),
      hash_algo: either(fc.constant('sha256')),
      transfers: either(fc.array(fc.constantFrom('basic', 'ssh', 'lfs-standalone-file'), { maxLength: 2 })),
      ref,
    }),
    shapedJson({
      path: either(text),
      ref,
      cursor: either(fc.oneof(fc.nat().map(String), text)),
      limit: either(fc.oneof(fc.nat(), fc.constant(1e9))),
      force: either(fc.boolean()),
      oid: either(oid),
      size: either(size),
    }),
    shapedJson({
      username: either(fc.oneof(text, fc.constant('fuzzer'))),
      password: either(text),
      admin: either(fc.boolean()),
      name: either(text),
      expires_at: either(fc.constantFrom('2030-01-01T00:00:00Z', '1970-01-01T00:00:00Z', 'tomorrow')),
      path: either(fc.oneof(text, fc.constant(targets.project))),
      visibility: either(fc.constantFrom('public', 'private', 'internal')),
      quota_bytes: either(fc.oneof(fc.nat(), fc.constant(null), fc.constant(-5))),
      role: either(fc.constantFrom('read', 'write', 'maintainer', 'owner')),
      projects: either(fc.array(text, { maxLength: 3 })),
      changes: either(
        fc.array(
          shapedJson({
            ref: either(text),
            paths: either(fc.array(text, { maxLength: 3 })),
            pointers: either(
              fc.array(shapedJson({ oid: either(oid), size: either(size), paths: either(fc.array(text)) }), {
                maxLength: 2,
              }),
            ),
          }),
          { maxLength: 2 },
        ),
      ),
    }),
  );
}

/** The routes, each a method (mostly the right one) and a path built from the deployment's names or junk. */
function route(
  targets: FuzzTargets,
): fc.Arbitrary<{ method: string; path: string; transfer: boolean; admin: boolean }> {
  const projectPath = fc.oneof(
    { weight: 5, arbitrary: fc.constant(targets.project) },
    {
      weight: 2,
      arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
    },
  );
  const lfsBase = fc
    .tuple(projectPath, fc.constantFrom('.git', ''))
    .map(([project, suffix]) => `/${project}${suffix}/info/lfs`);
  const oid = fc.oneof(fc.constant(targets.stored.oid), hex64, segment);
  const size = fc.oneof(fc.constant(String(targets.stored.size)), fc.nat().map(String), segment);
  const method = (usual: string): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(usual) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'OPTIONS') },
    );
  const encodedProject = projectPath.map(encodeURIComponent);
  const user = fc.oneof(fc.constantFrom('fuzzer', 'nobody', 'admin'), segment);
  const lfs = (suffix: fc.Arbitrary<string>, usual: string, transfer = false) =>
    fc
      .tuple(lfsBase, suffix, method(usual))
      .map(([base, tail, verb]) => ({ method: verb, path: `${base}${tail}`, transfer, admin: false }));
  const admin = (pathArb: fc.Arbitrary<string>, usual: string) =>
    fc
      .tuple(pathArb, method(usual))
      .map(([path, verb]) => ({ method: verb, path: `/api/v1${path}`, transfer: false, admin: true }));
  return fc.oneof(
    lfs(fc.constant('/objects/batch'), 'POST'),
    lfs(fc.constant('/locks'), 'POST'),
    lfs(fc.constant('/locks'), 'GET'),
    lfs(fc.constant('/locks/verify'), 'POST'),
    lfs(
      fc.oneof(fc.nat().map(String), segment, hex64).map((id) => `/locks/${id}/unlock`),
      'POST',
    ),
    lfs(fc.constant('/objects/verify'), 'POST', true),
    lfs(
      oid.map((value) => `/objects/${value}`),
      'GET',
      true,
    ),
    lfs(
      fc.tuple(oid, size).map(([value, length]) => `/objects/${value}/${length}`),
      'PUT',
      true,
    ),
    admin(fc.constant('/users'), 'POST'),
    admin(
      user.map((name) => `/users/${name}`),
      'GET',
    ),
    admin(
      user.map((name) => `/users/${name}/tokens`),
      'POST',
    ),
    admin(
      user.map((name) => `/users/${name}/tokens`),
      'GET',
    ),
    admin(fc.constant('/projects'), 'POST'),
    admin(
      encodedProject.map((path) => `/projects/${path}`),
      'GET',
    ),
    admin(
      encodedProject.map((path) => `/projects/${path}`),
      'PATCH',
    ),
    admin(
      fc.tuple(encodedProject, user).map(([path, name]) => `/projects/${path}/members/${name}`),
      'PUT',
    ),
    admin(
      encodedProject.map((path) => `/projects/${path}/statistics`),
      'GET',
    ),
    admin(
      encodedProject.map((path) => `/projects/${path}/objects`),
      'GET',
    ),
    admin(
      encodedProject.map((path) => `/projects/${path}/push-check`),
      'POST',
    ),
    admin(
      encodedProject.map((path) => `/projects/${path}/lfs-authenticate`),
      'POST',
    ),
    admin(fc.constant('/platform-tokens'), 'POST'),
    admin(fc.constant('/platform-tokens'), 'GET'),
  );
}

/** Requests of every route, with the credentials a client might hold, right or wrong. */
export function fuzzRequest(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const authorization = fc.oneof(
    { weight: 4, arbitrary: fc.constant(targets.userAuthorization) },
    { weight: 3, arbitrary: fc.constant(`Bearer ${targets.adminToken}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'Basic ' + Buffer.from('someone-else:wrong').toString('base64'),
        'Basic ' + Buffer.from('\u0000:x').toString('base64'),
        'Basic !!!',
        'Bearer lfsp_nonsense',
        'Bearer ',
        'Negotiate abc',
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ maxLength: 30 })
        .map((value) => `Basic ${Buffer.from(value).toString('base64')}`),
    },
  );
  const mediaType = fc.oneof(
    { weight: 8, arbitrary: fc.constant(LFS_MEDIA_TYPE) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `${LFS_MEDIA_TYPE}; charset=utf-8`,
        'application/json',
        'text/plain',
        '*/*',
        'application/x-www-form-urlencoded',
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).filter((value) => /^[\x20-\x7e]*$/.test(value)) },
  );
  // Each request from its own client address (the deployment trusts one proxy hop), so that the sign-in throttle,
  // which generated garbage credentials trip, never locks out the address the test itself checks from.
  const clientAddress = fc
    .tuple(fc.nat(255), fc.nat(255), fc.nat(255))
    .map(([a, b, c]) => `10.${a}.${b}.${c}`);
  const rawBody = fc.oneof(
    { weight: 6, arbitrary: body(targets).map((value) => JSON.stringify(value)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '{', '[]', 'null', '{"objects":[', '\u0000', '{"a":1}{"b":2}'),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const range = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      'bytes=0-0',
      'bytes=-1',
      'bytes=5-2',
      'bytes=0-',
      'bytes=99999999-',
      'bytes=a-b',
      'bytes=0-1,3-4',
    ),
  );
  const fitting = fc.oneof(
    { weight: 4, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  );
  return fc
    .tuple(route(targets), authorization, mediaType, mediaType, rawBody, range, clientAddress, fitting)
    .map(
      ([
        { method, path, transfer, admin },
        given,
        accept,
        contentType,
        payload,
        rangeHeader,
        address,
        fit,
      ]) => {
        const headers: Record<string, string> = { 'x-forwarded-for': address };
        // Mostly the credentials the route takes (the admin token on admin routes, the user's elsewhere), so that
        // requests get past authentication to the parsers; sometimes the other one, to be refused.
        const userAuth = targets.userAuthorization;
        const adminAuth = `Bearer ${targets.adminToken}`;
        const auth =
          fit && admin && given === userAuth
            ? adminAuth
            : fit && !admin && given === adminAuth
              ? userAuth
              : given;
        if (transfer && auth === targets.userAuthorization) {
          Object.assign(headers, targets.transferHeader); // the transfer token instead of the password
        } else if (auth !== undefined) {
          headers.authorization = auth;
        }
        if (accept !== undefined) {
          headers.accept = accept;
        }
        if (contentType !== undefined) {
          headers['content-type'] = contentType;
        }
        if (rangeHeader !== undefined && method === 'GET') {
          headers.range = rangeHeader;
        }
        const sendsBody = payload !== undefined && !['GET', 'HEAD'].includes(method);
        return { method, path, headers, ...(sendsBody ? { body: payload } : {}) };
      },
    );
}
