/** Wire shapes of the Git LFS file locking API (git-lfs docs/api/locking.md). */
export interface LockView {
  id: string;
  path: string;
  /** ISO 8601. */
  locked_at: string;
  owner: { name: string };
}

export interface LockResponse {
  lock: LockView;
}

export interface LockListResponse {
  locks: LockView[];
  next_cursor?: string;
}

export interface LockVerifyResponse {
  ours: LockView[];
  theirs: LockView[];
  next_cursor?: string;
}
