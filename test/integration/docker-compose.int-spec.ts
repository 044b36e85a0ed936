import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

async function composeServices(): Promise<Record<string, ComposeService>> {
  const text = await readFile(path.join(process.cwd(), 'docker-compose.yml'), 'utf8');
  return (load(text) as { services: Record<string, ComposeService> }).services;
}

describe('docker-compose.yml', () => {
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
});
