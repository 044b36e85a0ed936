import { Injectable } from '@nestjs/common';

import { MemoryCache } from '../cache/memory.cache.js';

/**
 * The nonces of signed internal calls this process accepted, one memory per process. Not a field of
 * InternalSignatureGuard: Nest builds a guard named in `@UseGuards` anew for each module that uses it, apart from the
 * provider the internal fast path takes with `app.get`, and two memories would let a replay through the other path
 * whenever the shared cache (Redis) remembers nothing.
 */
@Injectable()
export class InternalNonces {
  /**
   * Only correctly signed calls get here, so only the proxy can fill it; 200,000 is over 1,600 internal calls a second
   * for the whole window.
   */
  private readonly seen = new MemoryCache(200_000);

  /** Remembers `nonce` for `ttlSeconds`; false when it was remembered already (a replay). */
  claim(nonce: string, ttlSeconds: number): Promise<boolean> {
    return this.seen.setIfAbsent(nonce, '1', ttlSeconds);
  }
}
