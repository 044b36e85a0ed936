import { isValidStorageId } from '@lfs-depot/contracts';

/** What a storage's marker says: nothing (no marker), a storage id, or something lfs-depot did not write. */
export type StorageMarkerReading =
  { kind: 'absent' } | { kind: 'id'; id: string } | { kind: 'unreadable'; content: string };

/** The marker's content for `storageId`: JSON, with a line for whoever opens the file or object by hand. */
export function formatStorageMarker(storageId: string, createdAt: Date = new Date()): string {
  return `${JSON.stringify(
    {
      storage_id: storageId,
      created_at: createdAt.toISOString(),
      about:
        'This storage belongs to the lfs-depot database that records this storage_id; ' +
        'do not edit, copy or delete this file (README "One storage, one database").',
    },
    null,
    2,
  )}\n`;
}

/** Reads a marker's content (undefined: no marker) as the storage id it names, if it names one. */
export function parseStorageMarker(content: string | undefined): StorageMarkerReading {
  if (content === undefined) {
    return { kind: 'absent' };
  }
  try {
    const parsed: unknown = JSON.parse(content);
    const id = (parsed as { storage_id?: unknown } | null)?.storage_id;
    if (isValidStorageId(id)) {
      return { kind: 'id', id };
    }
  } catch {
    // Not JSON: unreadable, as below.
  }
  return { kind: 'unreadable', content: content.slice(0, 200) };
}
