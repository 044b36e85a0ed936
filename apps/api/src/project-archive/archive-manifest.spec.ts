import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@lfs-depot/contracts';

import { parseArchiveManifest } from './archive-manifest.js';

const manifest = {
  format: 'lfs-depot-project',
  version: 1,
  exported_at: '2026-12-01T15:00:00.000Z',
  project: { path: 'team/game', visibility: 'public', quota_bytes: 1024 },
  objects: { count: 3, size: 78_000 },
};

const parse = (value: unknown): unknown => parseArchiveManifest(Buffer.from(JSON.stringify(value)));

describe(parseArchiveManifest.name, () => {
  it('returns the manifest an export writes, without the fields it does not know', () => {
    expect(parse({ ...manifest, written_by: 'a later lfs-depot' })).toEqual(manifest);
    expect(parse({ ...manifest, project: { ...manifest.project, quota_bytes: null } })).toMatchObject({
      project: { quota_bytes: null },
    });
  });

  it.each([
    ['another tar’s JSON', { name: 'x' }, /not an lfs-depot project archive/],
    ['a later version', { ...manifest, version: 2 }, /version 2 is not one this server reads/],
    ['no date', { ...manifest, exported_at: 'yesterday' }, /exported_at/],
    ['a bad project path', { ...manifest, project: { ...manifest.project, path: '../x' } }, /project.path/],
    [
      'an unknown visibility',
      { ...manifest, project: { ...manifest.project, visibility: 'internal' } },
      /project.visibility/,
    ],
    [
      'a negative quota',
      { ...manifest, project: { ...manifest.project, quota_bytes: -1 } },
      /project.quota_bytes/,
    ],
    ['counts as text', { ...manifest, objects: { count: '3', size: 78_000 } }, /objects must be/],
    ['no objects', { ...manifest, objects: undefined }, /objects must be/],
    ['an array', [manifest], /not an lfs-depot project archive/],
  ])('rejects %s with VALIDATION_FAILED', (_, value, message) => {
    expect(() => parse(value)).toThrow(DomainError);
    expect(() => parse(value)).toThrow(message);
  });

  it('rejects bytes that are not JSON', () => {
    expect(() => parseArchiveManifest(Buffer.from('{"format":'))).toThrow(/manifest.json: not valid JSON/);
  });
});
