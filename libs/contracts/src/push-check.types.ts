/** POST /api/v1/projects/{path}/push-check (README, Lock enforcement on push), asked by the pre-receive hook. */

/** Most paths one push check may name; the hook splits bigger pushes into several calls. */
export const MAX_PUSH_CHECK_PATHS = 10_000;
/** Most pointers one push check may name. */
export const MAX_PUSH_CHECK_POINTERS = 10_000;

export interface PushCheckPointer {
  oid: string;
  size: number;
  /** Where the push adds the pointer, when the hook says. */
  paths?: string[];
}

/** One pushed ref: the paths its new commits change and the LFS pointers they add. */
export interface PushCheckChange {
  ref: string;
  paths: string[];
  pointers: PushCheckPointer[];
}

export interface PushCheckRequest {
  username: string;
  changes: PushCheckChange[];
}

export interface LockedPathView {
  path: string;
  /** The pushed ref that changes the path. */
  ref: string;
  owner: string;
  lock_id: string;
  locked_at: string;
}

export interface PushCheckResponse {
  allowed: boolean;
  locked: LockedPathView[];
  /** Pointers to objects the project does not have. */
  missing: PushCheckPointer[];
  /**
   * Pointers to objects the project has but whose stored bytes scrub's repair found missing or corrupt: uploading
   * them again (`git lfs push --all`) heals them.
   */
  damaged: PushCheckPointer[];
}
