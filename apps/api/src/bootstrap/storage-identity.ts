import { randomBytes } from 'node:crypto';

import {
  FallbackStorage,
  formatStorageMarker,
  type ObjectStorage,
  parseStorageMarker,
  STORAGE_MARKER_KEY,
  type StorageMarkerReading,
} from '@lfs-depot/storage';
import type { DataSource } from 'typeorm';

import { StartupError } from '../core/startup-error.js';
import { withStartupLock } from '../database/data-source.js';
import { decideStorageIdentity, type StorageIdentityDecision } from './storage-identity.decision.js';

export interface StorageIdentityOptions {
  /** STORAGE, as describeStorage spells it (STORAGE_FALLBACK's is the FallbackStorage's fallback). */
  where: string;
  /** STORAGE_ID; null when unset. */
  adopt: string | null;
  /** Where the note of what was decided goes (a created id, an adoption). */
  log?: (level: 'info' | 'warn', message: string) => void;
}

/**
 * Makes sure STORAGE belongs to this database before the API serves anything (decideStorageIdentity), and resolves to
 * the storage id they share; rejects with a StartupError that says what is wrong and what to do, having written
 * nothing, when it does not. Runs under the migrations' advisory lock, so that instances of one deployment starting
 * at once settle on one id: the first creates it, the others find it. The database row is written before the marker:
 * interrupted in between, the next start finds an empty database with an id and a storage without a marker, and
 * writes the marker then.
 */
export async function ensureStorageIdentity(
  dataSource: DataSource,
  storage: ObjectStorage,
  options: StorageIdentityOptions,
): Promise<string> {
  return withStartupLock(dataSource, async () => {
    const primary = storage instanceof FallbackStorage ? storage.primary : storage;
    const fallback = storage instanceof FallbackStorage ? storage.fallback : undefined;
    const [recorded, objects] = await Promise.all([
      dataSource.query<{ storage_id: string }[]>(`SELECT storage_id FROM storage_identity`),
      dataSource.query<{ any: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM lfs_objects) AS any`),
    ]);
    const decision = decideStorageIdentity({
      where: options.where,
      database: recorded[0]?.storage_id,
      marker: await readMarker(primary, `STORAGE ${options.where}`),
      fallback: fallback && (await readMarker(fallback, 'STORAGE_FALLBACK')),
      databaseHasObjects: objects[0]?.any ?? false,
      adopt: options.adopt,
      freshId: randomBytes(16).toString('hex'),
    });
    const storageId = await apply(dataSource, primary, decision, options.where);
    if (decision.kind === 'accept' && decision.note) {
      options.log?.(decision.note.level, decision.note.message);
    }
    return storageId;
  });
}

async function apply(
  dataSource: DataSource,
  storage: ObjectStorage,
  decision: StorageIdentityDecision,
  where: string,
): Promise<string> {
  if (decision.kind === 'refuse') {
    throw new StartupError(decision.message);
  }
  const { storageId } = decision;
  if (decision.recordInDatabase) {
    await dataSource.query(
      `INSERT INTO storage_identity (storage_id) VALUES ($1)
         ON CONFLICT (singleton) DO UPDATE SET storage_id = EXCLUDED.storage_id, recorded_at = now()`,
      [storageId],
    );
  }
  if (decision.writeMarker) {
    let stored: StorageMarkerReading;
    try {
      stored = parseStorageMarker(await storage.createMarker(formatStorageMarker(storageId)));
    } catch (error) {
      throw new StartupError(
        `Could not write ${STORAGE_MARKER_KEY} to STORAGE ${where}: ${describe(error)}. Check that STORAGE is ` +
          'writable, then start again.',
        { cause: error },
      );
    }
    if (stored.kind !== 'id' || stored.id !== storageId) {
      // Another deployment, on another database, wrote its marker at the same moment: this storage is its.
      throw new StartupError(
        `STORAGE ${where} was claimed by another lfs-depot database while this one started: its ` +
          `${STORAGE_MARKER_KEY} now names ${stored.kind === 'id' ? `storage id ${stored.id}` : 'no storage id'}, not ` +
          `${storageId}. Give this deployment its own folder, bucket or prefix as STORAGE ` +
          '(README "One storage, one database").',
      );
    }
  }
  return storageId;
}

async function readMarker(storage: ObjectStorage, name: string): Promise<StorageMarkerReading> {
  try {
    return parseStorageMarker(await storage.readMarker());
  } catch (error) {
    throw new StartupError(
      `Could not read ${STORAGE_MARKER_KEY} from ${name}: ${describe(error)}. lfs-depot checks at start that its ` +
        'storage belongs to this database; make the storage reachable, then start again.',
      { cause: error },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
