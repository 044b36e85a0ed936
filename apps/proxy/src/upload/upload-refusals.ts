import type { ErrorBody } from '@lfs-depot/contracts';
import { ErrorCode } from '@lfs-depot/contracts';

import type { ApiAnswer } from '../api-client/api.client.js';

/**
 * How long a project whose finalize was refused for its quota has its token uploads authorized first: a quota is raised, or space freed, by people, so a shorter wait would mostly buy more refused
 * writes; a longer one costs nothing but the authorize call each upload makes meanwhile.
 */
export const PROJECT_REFUSAL_MS = 10 * 60_000;
/**
 * How long an object whose finalize was refused because its bytes were being purged is authorized first: the purge
 * holds its row only between committing `purging` and removing the row once the bytes are deleted, and git-lfs
 * retries within seconds (the answer's retry_after_seconds), so this covers a slow storage delete and no more.
 */
export const OBJECT_REFUSAL_MS = 30_000;
/**
 * Refusals remembered at most, the oldest going first. An entry is a token string (at most the 1024 characters the
 * verifier reads) or a project path or oid, and a number; past the cap a refused token may write once more.
 */
export const MAX_REFUSAL_ENTRIES = 10_000;

/** What a finalize refusal was about: the upload a transfer token let in without asking the API. */
export interface RefusedUpload {
  project: string;
  oid: string;
  /** The transfer token (the password of the upload's authorization). */
  token: string;
  /** The token's expiry, Unix seconds: after it the token lets nothing in anyway. */
  tokenExpiresAt: number;
}

/** What a refused finalize answer says is refused: the token (its holder), the project, or the object's bytes. */
export type RefusalScope = 'token' | 'project' | 'object';

/** The scopes a finalize answer refuses (empty: a refusal that says nothing about the next upload). */
export function refusalScopes(answer: ApiAnswer): RefusalScope[] {
  const code = answerCode(answer);
  if (answer.status === 401 || answer.status === 403) {
    return ['token'];
  }
  if (answer.status === 404) {
    // Not a member any more and a deleted project answer alike (the API does not tell a stranger which it is), so
    // only the token is remembered: a removed member must not send everyone's uploads to that project the long way.
    return ['token'];
  }
  if (code === ErrorCode.QUOTA_EXCEEDED) {
    return ['project'];
  }
  if (answer.status === 503) {
    // Bytes being purged, or the API or its database away: either way authorize now answers before any byte is read.
    return ['object'];
  }
  return [];
}

function answerCode(answer: ApiAnswer): string | undefined {
  try {
    const body = JSON.parse(answer.body) as Partial<ErrorBody> | null;
    return typeof body?.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finalize refusals of uploads the proxy let in on a transfer token's signature. The proxy writes such a body before
 * the API has checked anything, so a token revoked since, a project over its quota or deleted, or an object being
 * purged would have every upload written (and fsynced) whole before finalize refused it, again and again. Once
 * finalize refused one, the next uploads of that token, project or object take the authorize path, where the API
 * answers before a byte is read. Uploads let in before the first refusal came back are still written whole.
 */
export class UploadRefusals {
  /** Scope and key to the time (ms) until which uploads under it are authorized first; oldest refusals first. */
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = MAX_REFUSAL_ENTRIES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Remembers what the finalize `answer` refused of `upload`; returns the scopes it refused. */
  learn(upload: RefusedUpload, answer: ApiAnswer): RefusalScope[] {
    const now = this.clock();
    const scopes = refusalScopes(answer);
    for (const scope of scopes) {
      switch (scope) {
        case 'token':
          this.remember(`token\n${upload.token}`, upload.tokenExpiresAt * 1000);
          break;
        case 'project':
          this.remember(`project\n${upload.project}`, now + PROJECT_REFUSAL_MS);
          break;
        case 'object':
          this.remember(`object\n${upload.oid}`, now + OBJECT_REFUSAL_MS);
          break;
      }
    }
    return scopes;
  }

  /** Whether an upload with this token, to this project, of this object must be authorized by the API first. */
  mustAuthorize(upload: { project: string; oid: string; token: string }): boolean {
    return (
      this.fresh(`token\n${upload.token}`) ||
      this.fresh(`project\n${upload.project}`) ||
      this.fresh(`object\n${upload.oid}`)
    );
  }

  private remember(key: string, until: number): void {
    if (until <= this.clock()) {
      return;
    }
    this.entries.delete(key);
    this.entries.set(key, until);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.entries.delete(oldest);
    }
  }

  private fresh(key: string): boolean {
    const until = this.entries.get(key);
    if (until === undefined) {
      return false;
    }
    if (until <= this.clock()) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }
}
