import { STORAGE_MARKER_KEY, type StorageMarkerReading } from '@lfs-depot/storage';

/** What the API found at start, before deciding whether STORAGE is this database's. */
export interface StorageIdentityFacts {
  /** STORAGE, as describeStorage spells it (for the messages). */
  where: string;
  /** The storage id the database records; undefined when it records none. */
  database: string | undefined;
  /** STORAGE's marker. */
  marker: StorageMarkerReading;
  /** STORAGE_FALLBACK's marker, when a fallback is configured. */
  fallback?: StorageMarkerReading;
  /** Whether the database records any object (then an empty STORAGE would lose them all). */
  databaseHasObjects: boolean;
  /** STORAGE_ID, the id the operator adopts; null when unset. */
  adopt: string | null;
  /** A fresh random id, used when neither side has one. */
  freshId: string;
}

/** Start with `storageId`, after recording it and writing the marker as told; or refuse, saying why and what to do. */
export type StorageIdentityDecision =
  | {
      kind: 'accept';
      storageId: string;
      recordInDatabase: boolean;
      writeMarker: boolean;
      /** What to log about it; none when both sides already agreed. */
      note?: { level: 'info' | 'warn'; message: string };
    }
  | { kind: 'refuse'; message: string };

const README = 'README "One storage, one database"';

/**
 * The rule (README "One storage, one database"): a STORAGE whose marker names a storage id serves only the database
 * that records the same id. A missing marker is written when nothing can be lost by it (a fresh install, an upgrade, an
 * empty database, or a storage migration whose fallback carries the database's id); STORAGE_ID adopts the id a
 * marker names (or writes it into a storage without one) for a database that is a restore or copy of its owner.
 */
export function decideStorageIdentity(facts: StorageIdentityFacts): StorageIdentityDecision {
  const { where, database, marker, adopt } = facts;
  if (marker.kind === 'unreadable') {
    return {
      kind: 'refuse',
      message:
        `STORAGE ${where} holds a ${STORAGE_MARKER_KEY} that names no storage id (${JSON.stringify(marker.content)}). ` +
        'lfs-depot wrote it to tie this storage to one database and cannot tell whose it is now. Put back the ' +
        `original (from a backup), or, if this storage is this deployment's, delete the file and start with ` +
        `STORAGE_ID=${database ?? '<the storage id of the database that owns it>'} (${README}).`,
    };
  }
  if (adopt !== null) {
    if (marker.kind === 'id' && marker.id !== adopt) {
      return {
        kind: 'refuse',
        message:
          `STORAGE_ID=${adopt}, but the ${STORAGE_MARKER_KEY} of STORAGE ${where} names storage id ${marker.id}: ` +
          'STORAGE_ID can only adopt the id that the marker names (or write one into a storage without a marker). ' +
          `Check STORAGE and STORAGE_ID (${README}).`,
      };
    }
    const recordInDatabase = database !== adopt;
    const writeMarker = marker.kind === 'absent';
    return {
      kind: 'accept',
      storageId: adopt,
      recordInDatabase,
      writeMarker,
      note: {
        level: 'warn',
        message:
          recordInDatabase || writeMarker
            ? `Adopted storage id ${adopt} (STORAGE_ID) for STORAGE ${where}` +
              `${recordInDatabase ? `; this database recorded ${database ?? 'none'} before` : ''}` +
              `${writeMarker ? `; wrote ${STORAGE_MARKER_KEY}` : ''}. Remove STORAGE_ID from the configuration now`
            : `STORAGE_ID=${adopt} is set, but STORAGE and this database agree on it already: remove STORAGE_ID`,
      },
    };
  }
  if (marker.kind === 'id') {
    if (marker.id === database) {
      return { kind: 'accept', storageId: database, recordInDatabase: false, writeMarker: false };
    }
    return {
      kind: 'refuse',
      message:
        `STORAGE ${where} belongs to another lfs-depot database: its ${STORAGE_MARKER_KEY} names storage id ` +
        `${marker.id}, and this database ${database ? `owns storage id ${database}` : 'records none'}. Two ` +
        "deployments on one storage delete each other's objects (garbage collection purges what its own database " +
        'no longer links). Give this deployment its own folder, bucket or prefix as STORAGE' +
        `${database ? ` (the one whose marker names ${database})` : ''}. Only if this database is a restore or copy ` +
        `of the one that owns this storage, start once with STORAGE_ID=${marker.id} to adopt it (${README}).`,
    };
  }
  if (database === undefined) {
    return {
      kind: 'accept',
      storageId: facts.freshId,
      recordInDatabase: true,
      writeMarker: true,
      note: {
        level: 'info',
        message: `Storage id ${facts.freshId} created for this database and STORAGE ${where} (${STORAGE_MARKER_KEY})`,
      },
    };
  }
  const fallback = facts.fallback;
  if (fallback?.kind === 'id' && fallback.id === database) {
    return {
      kind: 'accept',
      storageId: database,
      recordInDatabase: false,
      writeMarker: true,
      note: {
        level: 'info',
        message:
          `STORAGE ${where} had no ${STORAGE_MARKER_KEY}; wrote storage id ${database}, which STORAGE_FALLBACK ` +
          'carries (a storage migration)',
      },
    };
  }
  if (!facts.databaseHasObjects) {
    return {
      kind: 'accept',
      storageId: database,
      recordInDatabase: false,
      writeMarker: true,
      note: {
        level: 'info',
        message:
          `STORAGE ${where} had no ${STORAGE_MARKER_KEY}; wrote this database's storage id ${database} ` +
          '(the database records no objects, so none can be missing)',
      },
    };
  }
  const fallbackSays =
    fallback === undefined
      ? ''
      : ` STORAGE_FALLBACK's marker ${fallback.kind === 'id' ? `names storage id ${fallback.id}` : 'is missing or unreadable'}, not ${database}.`;
  return {
    kind: 'refuse',
    message:
      `STORAGE ${where} has no ${STORAGE_MARKER_KEY}, but this database owns storage id ${database} and records ` +
      `objects: on this storage every one of them would be missing.${fallbackSays} If STORAGE changed by mistake, ` +
      'set it back. To move the objects to a new backend, set the old one as STORAGE_FALLBACK and run `lfs-depot ' +
      'storage migrate` (README "Moving objects to another backend"). Only if this storage really holds this ' +
      `database's objects (copied without the marker), start once with STORAGE_ID=${database} (${README}).`,
  };
}
