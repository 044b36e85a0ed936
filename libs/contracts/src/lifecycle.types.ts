// Storage lifecycle on the wire: reference snapshots, garbage collection, deletion on purpose and the jobs that
// run the long operations (README "Storage lifecycle").

/** One line of `PUT /api/v1/projects/{path}/references` (NDJSON); other fields (a path, say) are ignored. */
export interface ReferenceLine {
  oid: string;
  size: number;
}

/** Longest line of a references body, in bytes; a pointer line is about 90. */
export const MAX_REFERENCE_LINE_BYTES = 1024;

/** Most lines of a references body. */
export const MAX_REFERENCE_LINES = 50_000_000;

/** The answer of `PUT` and `GET /api/v1/projects/{path}/references`. */
export interface ReferencesView {
  /** When the snapshot was taken (the request's arrival). */
  taken_at: string;
  /** Distinct `(oid, size)` pairs referenced. */
  referenced: number;
  /** Objects the project links that no ref references (GC phase 1 unlinks them after GC_LINK_GRACE). */
  linked_unreferenced: number;
  linked_unreferenced_size: number;
  /** Pointers referenced that the project does not link (never uploaded, or pushed with --no-verify). */
  referenced_missing: number;
}

/** `DELETE /api/v1/projects/{path}/objects/{oid}` and `DELETE /api/v1/objects/{oid}`. */
export interface ObjectDeletionView {
  oid: string;
  /** Paths of the projects whose link was removed. */
  unlinked_from: string[];
  /** Whether the bytes were deleted from storage (false while another project still links them). */
  purged: boolean;
  /** Bytes deleted from storage. */
  purged_size: number;
}

/** `POST /api/v1/gc` body. */
export interface GcRequest {
  /** Only phase 1 of this project (phase 2 still purges every object unlinked long enough). */
  project?: string;
  /** Count what would be done, change nothing. */
  dry_run?: boolean;
}

/** What one garbage collection did (or, dry, would do). */
export interface GcReport {
  dry_run: boolean;
  project: string | null;
  /** Projects whose links phase 1 examined (those with a reference snapshot). */
  projects_examined: number;
  /** Phase 1: links removed (or to remove), and the bytes they counted in statistics. */
  unlinked: number;
  unlinked_size: number;
  /** Phase 2: objects whose bytes were (or would be) deleted from storage, and their bytes. */
  purged: number;
  purged_size: number;
}

/** `POST /api/v1/storage/migrate` body (README "Moving objects to another backend"). */
export interface StorageMigrateRequest {
  /** Objects copied at once (1 to 32, default 4). */
  concurrency?: number;
  /** Most bytes per second read from the fallback, over all copies (default: no limit). */
  max_bytes_per_second?: number;
}

/** Longest list of problem objects a migration report names (the counts are always complete). */
export const MIGRATION_PROBLEMS_NAMED = 100;

/** An object a migration could not copy, and why. */
export interface MigrationProblem {
  oid: string;
  size: number;
  /**
   * `missing`: in neither backend; `corrupt`: the fallback's bytes do not hash to the oid or have another size
   * (nothing was written); `failed`: a read or write error (running the migration again retries it).
   */
  reason: 'missing' | 'corrupt' | 'failed';
  message?: string;
}

/** What one `storage-migrate` job did. When `remaining` is 0, STORAGE_FALLBACK may be removed. */
export interface StorageMigrationReport {
  /** The backends, as the API's startup line describes them. */
  from: string;
  to: string;
  /** Objects (and their bytes) the database recorded when the job started. */
  objects: number;
  bytes: number;
  /** Copied from the fallback to the primary by this run, each verified (SHA-256 and size) as it was written. */
  copied: number;
  copied_bytes: number;
  /** Already on the primary (uploaded since the switch, or copied by an earlier run). */
  already_migrated: number;
  /** Purged by garbage collection or a deletion while the job ran: nothing to copy. */
  purged: number;
  missing: number;
  corrupt: number;
  failed: number;
  /** missing + corrupt + failed: the objects still not on the primary. */
  remaining: number;
  /** The first MIGRATION_PROBLEMS_NAMED of those, by oid. */
  problems: MigrationProblem[];
}

/** `POST /api/v1/scrub` body. */
export interface ScrubRequest {
  /** Fraction of the objects to re-hash, chosen at random (0 < sample <= 1; default 1, every object). */
  sample?: number;
  /** Only the objects this project links (and no listing of storage for bytes without a row). */
  project?: string;
  /** Mark missing and corrupt objects damaged (clients upload them again) and move corrupt bytes aside. */
  repair?: boolean;
  /** Most bytes per second read from storage while re-hashing; absent or null: as fast as storage goes. */
  rate_bytes_per_second?: number | null;
}

/**
 * What scrub can find wrong. `missing`: a row whose bytes are not in storage (or not at its size); `corrupt`: bytes
 * whose SHA-256 or size is not the row's; `orphan`: bytes in storage with no row; `temp`: what an upload that died
 * left behind (a temp file or an open S3 multipart upload).
 */
export const SCRUB_PROBLEM_KINDS = ['missing', 'corrupt', 'orphan', 'temp'] as const;
export type ScrubProblemKind = (typeof SCRUB_PROBLEM_KINDS)[number];

export interface ScrubProblem {
  kind: ScrubProblemKind;
  /** The object's oid (null for temp leftovers and for orphans whose key names no oid). */
  oid: string | null;
  /** The size the row says (missing, corrupt) or the stored size (orphan, temp). */
  size: number;
  /** The storage key (or the temp file's name, or the multipart upload's key). */
  key: string;
  /** What was done: `marked` (missing: damaged, uploads asked for again), `moved` (corrupt: marked, and the bytes moved aside), `removed` (temp), or null. */
  repair: 'marked' | 'moved' | 'removed' | null;
  /** Where corrupt bytes were moved (`quarantine/…` in the same storage). */
  moved_to?: string;
}

/** Problems named in a report, at most; the counts always count them all. */
export const SCRUB_REPORTED_PROBLEMS = 10_000;

/** What one scrub found (and, with repair, did). */
export interface ScrubReport {
  sample: number;
  project: string | null;
  repair: boolean;
  /** Object rows whose bytes were re-hashed, and their bytes. */
  checked: number;
  checked_size: number;
  /** Rows already marked damaged by an earlier repair and not uploaded again: not re-hashed, still problems. */
  damaged: number;
  /** Every problem found, by kind (a damaged row counts as missing or corrupt, as it was found). */
  counts: Record<ScrubProblemKind, number>;
  /** The first SCRUB_REPORTED_PROBLEMS of them; `problems_truncated` when there were more. */
  problems: ScrubProblem[];
  problems_truncated: boolean;
}

export const JOB_KINDS = ['gc', 'project-export', 'project-import', 'storage-migrate', 'scrub'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Kinds whose job is one streaming request (the export's answer, the import's body): the request is the job, so it
 * runs where the request arrived, ends with it, and cannot be run again without its caller. A runner never claims
 * one; one whose instance stopped fails instead of being queued again.
 */
export const REQUEST_JOB_KINDS = ['project-export', 'project-import'] as const satisfies readonly JobKind[];

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Where a job is: `done` of `total` steps (`total` null while unknown), and what it is doing. */
export interface JobProgress {
  phase: string;
  done: number;
  total: number | null;
  /** Jobs that move bytes (storage-migrate): how many of how many, for a rate and an ETA. */
  bytes_done?: number;
  bytes_total?: number | null;
}

export interface JobView {
  id: string;
  kind: JobKind;
  state: JobState;
  params: Record<string, unknown>;
  progress: JobProgress | null;
  /** The job's report once it succeeded (a GcReport for gc, a ScrubReport for scrub). */
  result: Record<string, unknown> | null;
  error: string | null;
  cancel_requested: boolean;
  /** How many times it was started (more than 1: an instance died or restarted while running it). */
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobsPageView {
  jobs: JobView[];
  next_cursor: string | null;
}
