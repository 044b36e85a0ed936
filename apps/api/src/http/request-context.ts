import type { Request } from 'express';

import type { Principal } from '../core/principal.js';

/** What our guards and middleware attach to an Express request. */
export interface LfsRequest extends Request {
  requestId?: string;
  principal?: Principal;
  /** The client's address (signed by the proxy, else the socket's peer), for the audit trail. */
  clientAddress?: string;
}
