import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';

interface ComposeService {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

async function composeServices(): Promise<Record<string, ComposeService>> {
  const text = await readFile(path.join(process.cwd(), 'docker-compose.yml'), 'utf8');
  return (load(text) as { services: Record<string, ComposeService> }).services;
}

/** A tag naming one release: x.y or x.y.z (optionally with a variant), or a MinIO RELEASE timestamp; no `latest`. */
const PINNED_TAG = /^[\w./-]+:(?:\d+\.\d+(?:\.\d+)?(?:-[\w.-]+)?|RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)$/;

function dependencies(service: ComposeService): Record<string, string> {
  const { depends_on: dependsOn } = service;
  if (Array.isArray(dependsOn)) {
    return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  }
  return Object.fromEntries(
    Object.entries(dependsOn ?? {}).map(([name, { condition }]) => [name, condition]),
  );
}

describe('docker-compose.yml', () => {
  it('starts the API with the Node flags and environment npm start gives it (scripts/api-process.mjs)', async () => {
    const { api } = await composeServices();
    const printed = (env: Record<string, string | undefined>): string[] =>
      execFileSync(process.execPath, [path.join(process.cwd(), 'scripts/api-process.mjs')], {
        env,
        encoding: 'utf8',
      })
        .trim()
        .split(' ');
    const main = path.join(process.cwd(), 'dist/apps/api/src/main.js');
    // What npm start gives the API (scripts/start.mjs imports the same list).
    const { API_NODE_FLAGS } = (await import(
      pathToFileURL(path.join(process.cwd(), 'scripts/api-process.mjs')).href
    )) as { API_NODE_FLAGS: string[] };
    expect(API_NODE_FLAGS).toEqual(expect.arrayContaining(['--max-semi-space-size=8']));

    // `$$` is compose's escape for the shell's `$`.
    expect(api?.command?.join(' ')).toMatch(/; exec \$\$\(node scripts\/api-process\.mjs\)$/);
    expect(printed({ PATH: process.env.PATH })).toEqual([
      'env',
      'MALLOC_ARENA_MAX=2',
      process.execPath,
      ...API_NODE_FLAGS,
      main,
    ]);
    expect(printed({ PATH: process.env.PATH, MALLOC_ARENA_MAX: '4' })).toEqual([
      process.execPath,
      ...API_NODE_FLAGS,
      main,
    ]);
  });

  it('starts the proxy, in compose and as the image default, with the Node flags npm start gives it (scripts/proxy-process.mjs)', async () => {
    const { proxy } = await composeServices();
    const printed = execFileSync(process.execPath, [path.join(process.cwd(), 'scripts/proxy-process.mjs')], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    })
      .trim()
      .split(' ');
    // What npm start and the benchmark give the proxy (both import the same list).
    const { PROXY_NODE_FLAGS } = (await import(
      pathToFileURL(path.join(process.cwd(), 'scripts/proxy-process.mjs')).href
    )) as { PROXY_NODE_FLAGS: string[] };
    const dockerfile = await readFile(path.join(process.cwd(), 'Dockerfile'), 'utf8');

    expect(PROXY_NODE_FLAGS).toEqual(expect.arrayContaining(['--initial-old-space-size=64']));
    expect(proxy?.command?.join(' ')).toMatch(/; exec \$\$\(node scripts\/proxy-process\.mjs\)$/);
    expect(dockerfile).toMatch(/^CMD \["\/bin\/sh", "-c", "exec \$\(node scripts\/proxy-process\.mjs\)"\]$/m);
    expect(printed).toEqual([
      process.execPath,
      ...PROXY_NODE_FLAGS,
      path.join(process.cwd(), 'dist/apps/proxy/src/main.js'),
    ]);
  });

  it('ships no secret value: every password, secret and token is generated on first start', async () => {
    const literals = Object.entries(await composeServices()).flatMap(([service, { environment }]) =>
      Object.keys(environment ?? {})
        .filter((name) => /(SECRET|PASSWORD|TOKEN)/.test(name) && !name.endsWith('_FILE'))
        .map((name) => `${service}.${name}`),
    );

    expect(literals).toEqual([]);
  });

  it("keeps the API's DATA_DIR (API_SECRET, admin token) and the database password out of the proxy", async () => {
    const { api, proxy } = await composeServices();
    const volumeNames = (service?: ComposeService): string[] =>
      (service?.volumes ?? []).map((volume) => volume.split(':')[0] ?? '');
    const dataVolume = api?.volumes?.find((volume) => volume.split(':')[1] === api.environment?.DATA_DIR);

    expect(dataVolume).toBeDefined();
    expect(volumeNames(proxy)).toEqual(['lfs-depot-proxy-secrets']);
    expect(volumeNames(api)).toEqual(
      expect.arrayContaining(['lfs-depot-data', 'lfs-depot-secrets', 'lfs-depot-proxy-secrets']),
    );
    expect(proxy?.command?.join(' ')).not.toMatch(/db-password|API_SECRET|admin-token/);
  });

  it('gives the API and the proxy the same generated INTERNAL_SECRET', async () => {
    const { api, proxy } = await composeServices();
    const internalSecret = (service?: ComposeService): string | undefined =>
      /INTERNAL_SECRET="\$+\(cat ([^)]+)\)"/.exec(service?.command?.join(' ') ?? '')?.[1];

    expect(internalSecret(proxy)).toBe('/run/lfs-depot-proxy-secrets/internal-secret');
    expect(internalSecret(api)).toBe(internalSecret(proxy));
  });

  it('builds one lfs-depot image, tagged with the package version, which the proxy runs without pulling', async () => {
    const services = await composeServices();
    const { version } = JSON.parse(await readFile(path.join(process.cwd(), 'package.json'), 'utf8')) as {
      version: string;
    };
    const built = Object.entries(services)
      .filter(([, service]) => service.build !== undefined)
      .map(([name]) => name);

    expect(built).toEqual(['api']);
    expect(services.api?.image).toBe(`lfs-depot:${version}`);
    expect(services.proxy).toMatchObject({ image: `lfs-depot:${version}`, pull_policy: 'never' });
  });

  it('pins every image it pulls, and the Dockerfile its base image, to a release', async () => {
    const pulled = Object.entries(await composeServices())
      .filter(([, service]) => service.build === undefined && service.pull_policy !== 'never')
      .map(([name, service]) => ({ name, image: service.image }));
    const dockerfile = await readFile(path.join(process.cwd(), 'Dockerfile'), 'utf8');
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);

    expect(pulled.length).toBeGreaterThan(0);
    expect(pulled.filter(({ image }) => !PINNED_TAG.test(image ?? ''))).toEqual([]);
    expect(bases.length).toBeGreaterThan(0);
    expect(bases.filter((image) => !PINNED_TAG.test(image ?? ''))).toEqual([]);
  });

  it('health-checks the API (readiness on API_PORT) and the proxy (health on PORT), and starts the proxy once the API is healthy', async () => {
    const { api, proxy } = await composeServices();

    expect(api?.healthcheck?.test.join(' ')).toContain(
      `http://127.0.0.1:${api?.environment?.API_PORT ?? ''}/-/readiness`,
    );
    expect(proxy?.healthcheck?.test.join(' ')).toContain(
      `http://127.0.0.1:${proxy?.environment?.PORT ?? ''}/-/health`,
    );
    expect(dependencies(proxy ?? {})).toEqual({ api: 'service_healthy' });
  });

  it('points the CLI inside the api container at that API, whose DATA_DIR holds the admin token', async () => {
    const { api } = await composeServices();

    expect(api?.environment?.LFS_DEPOT_URL).toBe(`http://127.0.0.1:${api?.environment?.API_PORT ?? ''}`);
    expect(api?.environment?.DATA_DIR).toBeDefined();
  });

  it('restarts every long-running service unless stopped, and never the one-shot setup services', async () => {
    const services = await composeServices();
    const oneShot = new Set(
      Object.values(services).flatMap((service) =>
        Object.entries(dependencies(service))
          .filter(([, condition]) => condition === 'service_completed_successfully')
          .map(([name]) => name),
      ),
    );
    const policies = Object.fromEntries(
      Object.entries(services).map(([name, service]) => [name, service.restart]),
    );

    expect([...oneShot].sort()).toEqual(['minio-bucket', 'secrets']);
    expect(policies).toEqual(
      Object.fromEntries(
        Object.keys(services).map((name) => [name, oneShot.has(name) ? 'no' : 'unless-stopped']),
      ),
    );
  });
});
