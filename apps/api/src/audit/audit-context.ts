import type { AuditActorView } from '@lfs-depot/contracts';

import type { Principal } from '../core/principal.js';

/** Who makes a change and from where, as every audit event records it. */
export interface AuditContext {
  actor: AuditActorView;
  /** The client's address as the API learnt it (signed by the proxy, else the socket's peer); null for tasks. */
  clientAddress: string | null;
  requestId: string | null;
}

/** Where a request came from, to make an AuditContext once its principal is known. */
export interface RequestOriginInfo {
  clientAddress: string | null;
  requestId: string | null;
}

/** The actor behind an authenticated principal: a platform token, the bootstrap admin token, or a user. */
export function auditActor(principal: Principal): AuditActorView {
  if (principal.platform) {
    return { type: 'platform_token', id: principal.platform.tokenId, name: principal.platform.name };
  }
  if (principal.userId === '0') {
    return { type: 'admin_token', id: null, name: 'admin' };
  }
  return { type: 'user', id: principal.userId, name: principal.username };
}

/** The context of a request made by `principal`. */
export function requestAuditContext(
  principal: Principal,
  clientAddress: string | null,
  requestId: string | null,
): AuditContext {
  return { actor: auditActor(principal), clientAddress, requestId };
}

/** The context of a request made by `principal` from `origin`. */
export function originAuditContext(principal: Principal, origin: RequestOriginInfo): AuditContext {
  return { actor: auditActor(principal), ...origin };
}

/** The context of lfs-depot's own work (`gc`, …), which no request asked for. */
export function systemAuditContext(task: string): AuditContext {
  return { actor: { type: 'system', id: null, name: task }, clientAddress: null, requestId: null };
}
