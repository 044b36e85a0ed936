/** Wire shapes of the Git LFS batch API (git-lfs docs/api/batch.md). */
export type Operation = 'upload' | 'download';

export interface BatchObjectSpec {
  oid: string;
  size: number;
}

export interface BatchRequest {
  operation: Operation;
  transfers?: string[];
  ref?: { name: string };
  objects: BatchObjectSpec[];
  hash_algo?: string;
}

export interface BatchAction {
  href: string;
  header?: Record<string, string>;
  expires_in?: number;
  expires_at?: string;
}

export interface BatchObjectResult {
  oid: string;
  size: number;
  authenticated?: boolean;
  actions?: Partial<Record<'upload' | 'download' | 'verify', BatchAction>>;
  error?: { code: number; message: string };
}

export interface BatchResponse {
  transfer: 'basic';
  objects: BatchObjectResult[];
  hash_algo: 'sha256';
}
