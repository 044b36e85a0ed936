import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { LfsRequest } from '../http/request-context.js';
import { requestAuditContext } from './audit-context.js';
import type { AuditContext, RequestOriginInfo } from './audit-context.js';

/** The audit context of an authenticated request: its principal, client address and request id. */
export const Audited = createParamDecorator((_data: unknown, context: ExecutionContext): AuditContext => {
  const req = context.switchToHttp().getRequest<LfsRequest>();
  if (!req.principal) {
    // Only routes behind a guard that sets the principal take this parameter.
    throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Credentials needed');
  }
  return requestAuditContext(req.principal, req.clientAddress ?? null, req.requestId ?? null);
});

/** Where a request came from (client address, request id), for routes whose principal may be absent. */
export const RequestOrigin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestOriginInfo => {
    const req = context.switchToHttp().getRequest<LfsRequest>();
    return { clientAddress: req.clientAddress ?? null, requestId: req.requestId ?? null };
  },
);
