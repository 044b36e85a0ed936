import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';

interface ComposeService {
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

  it('gives the API and the proxy one DATA_DIR volume, so they share the generated internal secret', async () => {
    const { api, proxy } = await composeServices();
    const dataDir = api?.environment?.DATA_DIR;

    expect(dataDir).toBeDefined();
    expect(proxy?.environment?.DATA_DIR).toBe(dataDir);
    const dataVolume = (service?: ComposeService): string | undefined =>
      service?.volumes?.find((volume) => volume.split(':')[1] === dataDir);
    expect(dataVolume(api)).toBeDefined();
    expect(dataVolume(proxy)).toBe(dataVolume(api));
  });
});
