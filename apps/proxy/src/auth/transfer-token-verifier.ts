import type { KeyObject } from 'node:crypto';

import {
  hasValidTransferSignature,
  parseBasicAuthorization,
  parseTransferToken,
  TRANSFER_TOKEN_PREFIX,
  transferVerifyingKey,
} from '@lfs-depot/auth';
import type { TransferRole } from '@lfs-depot/auth';
import type { TransferKeyAnswer } from '@lfs-depot/contracts';

/** Who a transfer token's signature says the caller is, for one project; the API checks the rest at finalize. */
export interface LocalGrant {
  userId: string;
  username: string;
  role: TransferRole;
  /** Unix seconds. */
  expiresAt: number;
  /** The token string itself, which identifies this grant (the verify answers remember by it). */
  token: string;
}

/** Verified tokens remembered; an entry is a few short strings, and the least recently used go first. */
const DEFAULT_CACHE_ENTRIES = 4096;
/** A signature that fails may mean API_SECRET changed: the key is asked for again, at most this often. */
const KEY_REFRESH_MS = 30_000;
/** After the API could not give its key (down, or an older API without the endpoint), uploads ask it this long. */
const KEY_RETRY_MS = 5_000;

interface TransferKey {
  verifying: KeyObject;
  maxObjectSize: number;
}

/**
 * Checks transfer tokens (lfsx_…) against the Ed25519 public key the API publishes, so that a PUT with one needs no
 * authorize call before its body is read. The proxy holds no key that could make a token. A token that does not
 * verify here (another scheme, a password, a key the proxy has not learnt) is simply not granted: the caller then
 * takes the authorize path as before.
 */
export class TransferTokenVerifier {
  private key?: TransferKey;
  private fetching?: Promise<TransferKey | undefined>;
  private fetchedAt = 0;
  private failedAt = Number.NEGATIVE_INFINITY;
  private readonly verified = new Map<string, LocalGrant>();

  constructor(
    /** Asks the API for its public key (a signed internal call); undefined when it could not be asked. */
    private readonly fetchKey: () => Promise<TransferKeyAnswer | undefined>,
    private readonly maxEntries = DEFAULT_CACHE_ENTRIES,
  ) {}

  /** MAX_OBJECT_SIZE as the API told it, once it has been asked (undefined before). */
  get maxObjectSize(): number | undefined {
    return this.key?.maxObjectSize;
  }

  /**
   * The API's public key (what also verifies its download grants), asked for when not known yet; undefined while the
   * API cannot give it.
   */
  async verifyingKey(now = Date.now()): Promise<KeyObject | undefined> {
    return (await this.currentKey(now))?.verifying;
  }

  /**
   * The grant of a valid, unexpired transfer token for `projectPath` with at least `needed`, signed by the API for
   * the username beside it; undefined otherwise.
   */
  async grant(
    authorization: string | undefined,
    projectPath: string,
    needed: 'read' | 'write',
    now = Date.now(),
  ): Promise<LocalGrant | undefined> {
    if (authorization === undefined || authorization.length > 1024) {
      return undefined;
    }
    const cacheKey = `${projectPath}\n${authorization}`;
    const known = this.verified.get(cacheKey);
    if (known) {
      this.verified.delete(cacheKey);
      if (known.expiresAt * 1000 <= now) {
        return undefined;
      }
      this.verified.set(cacheKey, known);
      return allows(known.role, needed) ? known : undefined;
    }
    const credentials = parseBasicAuthorization(authorization);
    if (!credentials?.password.startsWith(TRANSFER_TOKEN_PREFIX)) {
      return undefined;
    }
    const parsed = parseTransferToken(credentials.password, now);
    if (!parsed) {
      return undefined;
    }
    const key = await this.currentKey(now);
    if (!key) {
      return undefined;
    }
    const binding = { username: credentials.username, projectPath };
    if (!hasValidTransferSignature(parsed, binding, key.verifying)) {
      this.signatureFailed(now);
      return undefined;
    }
    const grant: LocalGrant = {
      userId: parsed.claims.userId,
      username: credentials.username,
      role: parsed.claims.role,
      expiresAt: parsed.claims.expiresAt,
      token: credentials.password,
    };
    this.verified.set(cacheKey, grant);
    if (this.verified.size > this.maxEntries) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) {
        this.verified.delete(oldest);
      }
    }
    return allows(grant.role, needed) ? grant : undefined;
  }

  /**
   * Told of a signature the key did not verify (a token's, or a download grant's): API_SECRET may have changed, so a
   * key learnt more than KEY_REFRESH_MS ago is forgotten and asked for again. True when it was.
   */
  signatureFailed(now = Date.now()): boolean {
    if (this.key && now - this.fetchedAt > KEY_REFRESH_MS) {
      this.key = undefined;
      return true;
    }
    return false;
  }

  private currentKey(now: number): Promise<TransferKey | undefined> {
    if (this.key || now - this.failedAt < KEY_RETRY_MS) {
      return Promise.resolve(this.key);
    }
    // Every request waiting for the key shares one call; after a failed one, uploads take the authorize path a while.
    this.fetching ??= this.fetchKey()
      .then((answer) => {
        if (!answer) {
          this.failedAt = now;
          return undefined;
        }
        this.key = {
          verifying: transferVerifyingKey(Buffer.from(answer.public_key, 'base64url')),
          maxObjectSize: answer.max_object_size,
        };
        this.fetchedAt = now;
        return this.key;
      })
      .catch(() => {
        this.failedAt = now;
        return undefined;
      })
      .finally(() => {
        this.fetching = undefined;
      });
    return this.fetching;
  }
}

function allows(role: TransferRole, needed: 'read' | 'write'): boolean {
  return needed === 'read' || role === 'write' || role === 'maintainer';
}
