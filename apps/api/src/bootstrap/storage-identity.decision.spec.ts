import { describe, expect, it } from '@jest/globals';
import type { StorageMarkerReading } from '@lfs-depot/storage';

import { decideStorageIdentity, type StorageIdentityFacts } from './storage-identity.decision.js';

const X = 'a'.repeat(32);
const Y = 'b'.repeat(32);
const FRESH = 'c'.repeat(32);
const absent: StorageMarkerReading = { kind: 'absent' };
const says = (id: string): StorageMarkerReading => ({ kind: 'id', id });

function facts(overrides: Partial<StorageIdentityFacts>): StorageIdentityFacts {
  return {
    where: 'file:///srv/objects',
    database: undefined,
    marker: absent,
    databaseHasObjects: false,
    adopt: null,
    freshId: FRESH,
    ...overrides,
  };
}

describe(decideStorageIdentity.name, () => {
  it.each([
    ['a fresh install (neither has an id)', facts({}), FRESH, true, true],
    ['an upgrade: no id anywhere, objects recorded', facts({ databaseHasObjects: true }), FRESH, true, true],
    [
      'both name the same id',
      facts({ database: X, marker: says(X), databaseHasObjects: true }),
      X,
      false,
      false,
    ],
    [
      'no marker, and the fallback carries the database id (a migration)',
      facts({ database: X, fallback: says(X), databaseHasObjects: true }),
      X,
      false,
      true,
    ],
    ['no marker, and the database records no objects', facts({ database: X }), X, false, true],
    [
      'STORAGE_ID adopts the marker for a database without an id',
      facts({ marker: says(Y), adopt: Y, databaseHasObjects: true }),
      Y,
      true,
      false,
    ],
    [
      'STORAGE_ID adopts the marker for a database with another id',
      facts({ database: X, marker: says(Y), adopt: Y, databaseHasObjects: true }),
      Y,
      true,
      false,
    ],
    [
      'STORAGE_ID writes its id into a storage without a marker',
      facts({ database: X, adopt: X, databaseHasObjects: true }),
      X,
      false,
      true,
    ],
    ['STORAGE_ID that both already name', facts({ database: X, marker: says(X), adopt: X }), X, false, false],
  ] as const)('accepts %s', (_, input, storageId, recordInDatabase, writeMarker) => {
    expect(decideStorageIdentity(input)).toMatchObject({
      kind: 'accept',
      storageId,
      recordInDatabase,
      writeMarker,
    });
  });

  it('warns to remove STORAGE_ID whenever it is set', () => {
    for (const input of [
      facts({ marker: says(Y), adopt: Y }),
      facts({ database: X, marker: says(X), adopt: X }),
    ]) {
      const decision = decideStorageIdentity(input);
      expect(decision.kind === 'accept' && decision.note).toMatchObject({
        level: 'warn',
        message: expect.stringMatching(/remove STORAGE_ID/i) as unknown,
      });
    }
  });

  it.each([
    [
      'a marker, and a database without an id (a fresh deployment on a used storage)',
      facts({ marker: says(Y) }),
      [
        `names storage id ${Y}`,
        'this database records none',
        'its own folder, bucket or prefix',
        `STORAGE_ID=${Y}`,
      ],
    ],
    [
      'a marker naming another id than the database',
      facts({ database: X, marker: says(Y), databaseHasObjects: true }),
      [`names storage id ${Y}`, `owns storage id ${X}`, `whose marker names ${X}`, `STORAGE_ID=${Y}`],
    ],
    [
      'no marker, while the database records objects',
      facts({ database: X, databaseHasObjects: true }),
      [
        'has no lfs-depot-storage.json',
        'every one of them would be missing',
        'STORAGE_FALLBACK',
        `STORAGE_ID=${X}`,
      ],
    ],
    [
      'no marker, objects recorded, and a fallback with another id',
      facts({ database: X, fallback: says(Y), databaseHasObjects: true }),
      [`STORAGE_FALLBACK's marker names storage id ${Y}, not ${X}`, 'Moving objects to another backend'],
    ],
    [
      'a marker lfs-depot did not write',
      facts({ database: X, marker: { kind: 'unreadable', content: 'hello' } }),
      ['names no storage id ("hello")', `STORAGE_ID=${X}`],
    ],
    [
      'STORAGE_ID naming another id than the marker',
      facts({ database: X, marker: says(Y), adopt: X }),
      [`STORAGE_ID=${X}`, `names storage id ${Y}`, 'Check STORAGE and STORAGE_ID'],
    ],
  ] as const)('refuses %s, saying what is wrong and what to do', (_, input, phrases) => {
    const decision = decideStorageIdentity(input);
    expect(decision.kind).toBe('refuse');
    for (const phrase of phrases) {
      expect(decision.kind === 'refuse' && decision.message).toContain(phrase);
    }
    expect(decision.kind === 'refuse' && decision.message).toContain('file:///srv/objects');
  });
});
