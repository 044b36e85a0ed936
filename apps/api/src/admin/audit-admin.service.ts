import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT } from '@lfs-depot/contracts';
import type { AuditListQuery, AuditPageView } from '@lfs-depot/contracts';

import { AuditService } from '../audit/audit.service.js';
import { decodeCursor, isRowId, pageOf } from '../core/page-cursor.js';

/** The audit trail, newest first, for operators. */
@Injectable()
export class AuditAdminService {
  constructor(private readonly audit: AuditService) {}

  async listEvents(query: AuditListQuery): Promise<AuditPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.audit.list({
      project: query.project,
      actor: query.actor,
      actorType: query.actor_type,
      action: query.action,
      since: query.since === undefined ? undefined : new Date(query.since),
      beforeId: query.cursor === undefined ? undefined : decodeCursor('audit', query.cursor, isRowId),
      limit: limit + 1,
    });
    const page = pageOf('audit', rows, limit, (event) => event.id);
    return { events: page.items, next_cursor: page.next_cursor };
  }
}
