import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TransferKeyAnswer } from '@lfs-depot/contracts';
import { silentLogger } from '@lfs-depot/observability';
import { formatStorageMarker, LocalStorage } from '@lfs-depot/storage';

import { StorageIdentityGuard } from './storage-identity-guard.js';

const ID = 'a'.repeat(32);

describe(StorageIdentityGuard.name, () => {
  let root: string;
  let storage: LocalStorage;
  let answer: TransferKeyAnswer | undefined;
  let asked: number;
  let guard: StorageIdentityGuard;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'identity-guard-'));
    storage = new LocalStorage(root);
    answer = undefined;
    asked = 0;
    guard = new StorageIdentityGuard(
      storage,
      () => {
        asked += 1;
        return Promise.resolve(answer);
      },
      silentLogger('proxy'),
    );
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses nothing while the API cannot answer (started before it), and judges once it does', async () => {
    expect(await guard.problem(0)).toBeUndefined();
    expect(guard.matched).toBe(false);
    // The API starts: it writes the marker, then answers with its id.
    await storage.createMarker(formatStorageMarker(ID));
    answer = { public_key: '', max_object_size: 1, storage_id: ID };
    expect(await guard.problem(1_000)).toBeUndefined();
    expect(asked).toBe(1); // not asked again so soon
    expect(await guard.problem(10_000)).toBeUndefined();
    expect(guard.matched).toBe(true);
    expect(await guard.problem(20_000)).toBeUndefined();
    expect(asked).toBe(2);
  });

  it('refuses while the marker names another id, and asks again a few seconds later', async () => {
    await storage.createMarker(formatStorageMarker('b'.repeat(32)));
    answer = { public_key: '', max_object_size: 1, storage_id: ID };
    expect(await guard.problem(0)).toMatch(/naming b{32}/);
    expect(await guard.problem(1_000)).toMatch(/naming b{32}/);
    expect(asked).toBe(1);
    expect(await guard.problem(10_000)).toMatch(/naming b{32}/);
    expect(asked).toBe(2);
  });

  it('refuses nothing for an older API that tells no storage id', async () => {
    answer = { public_key: '', max_object_size: 1 };
    expect(await guard.problem(0)).toBeUndefined();
    expect(guard.matched).toBe(false);
  });
});
