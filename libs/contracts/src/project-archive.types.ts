// Moving a project between servers: the tar that `GET /api/v1/projects/{path}/export` streams and
// `PUT /api/v1/projects/{path}/import` takes (README "Moving a project to another server").

/** Media type of a project archive (a POSIX ustar/pax tar, uncompressed). */
export const PROJECT_ARCHIVE_MEDIA_TYPE = 'application/x-tar';

/** The manifest's `format`: what tells a project archive from any other tar. */
export const PROJECT_ARCHIVE_FORMAT = 'lfs-depot-project';

/** The manifest's `version`; an importer refuses versions it does not know. */
export const PROJECT_ARCHIVE_VERSION = 1;

/** The archive's first member. */
export const MANIFEST_MEMBER = 'manifest.json';

/**
 * Largest manifest an importer reads, in bytes. The manifest holds the project's settings and the totals of its
 * objects, never the list itself (the members are the list), so it stays small whatever the project holds.
 */
export const MAX_MANIFEST_BYTES = 64 * 1024;

/** Failures named one by one in an import report; the counts go on past it. */
export const MAX_REPORTED_IMPORT_FAILURES = 1000;

/** Name of the member holding an object's bytes: the oid, fanned out as storage does (`objects/ab/cd/abcd…`). */
export function archiveObjectMember(oid: string): string {
  return `objects/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;
}

/** The oid a member name stands for, or undefined when it is not an object member. */
export function oidOfArchiveMember(name: string): string | undefined {
  const match = /^objects\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(name);
  if (!match || !match[3]?.startsWith(`${match[1]}${match[2]}`)) {
    return undefined;
  }
  return match[3];
}

/** `manifest.json`, the first member of a project archive. */
export interface ProjectArchiveManifest {
  format: typeof PROJECT_ARCHIVE_FORMAT;
  version: typeof PROJECT_ARCHIVE_VERSION;
  /** When the export started; objects linked after it are not in the archive. */
  exported_at: string;
  /** The project as it was on the exporting server; an import that creates the project takes these settings. */
  project: {
    path: string;
    visibility: 'private' | 'public';
    quota_bytes: number | null;
  };
  /**
   * How many object members follow and their bytes together. The members, one per object in ascending oid order,
   * are the object list: the name gives the oid, the tar header the size.
   */
  objects: { count: number; size: number };
}

/** Why one object of an archive was not linked. */
export interface ImportFailureView {
  /** The oid, or the member's name when it names no object. */
  oid: string;
  reason: string;
}

/** The answer of `PUT /api/v1/projects/{path}/import`, also the import job's result. */
export interface ProjectImportReport {
  project: string;
  /** The job that followed the import (in GET /api/v1/jobs). */
  job_id: string;
  /** Whether the import created the project (it did not exist). */
  created: boolean;
  /** What the manifest announced. */
  listed: number;
  listed_size: number;
  /** Object members read. */
  received: number;
  /** Objects newly linked to the project, and their bytes. */
  linked: number;
  linked_size: number;
  /** Objects the project linked already (their bytes were still checked against the oid). */
  already_linked: number;
  /** Objects refused (wrong bytes, over the quota, …): nothing was stored or linked for them. */
  failed: number;
  /** Announced by the manifest but absent from the archive (it ended early). */
  missing: number;
  /** The first MAX_REPORTED_IMPORT_FAILURES refused objects, with why. */
  failures: ImportFailureView[];
  /** The project's statistics once the import ended. */
  statistics: { lfs_objects_count: number; lfs_objects_size: number; quota_bytes: number | null };
}

/** The export job's result. */
export interface ProjectExportReport {
  project: string;
  objects: number;
  size: number;
}
