import { Injectable } from '@nestjs/common';
import type { AuditAction, AuditActorType, AuditEventView, AuditTargetView } from '@lfs-depot/contracts';
import { DataSource, EntityManager } from 'typeorm';

import { runInTransaction } from '../database/transaction.js';
import type { Transaction } from '../database/transaction.js';
import type { AuditContext } from './audit-context.js';

/** What changed: the action, what it was done to, the project it concerns, and the particulars. */
export interface AuditEntry {
  action: AuditAction;
  target: AuditTargetView;
  /** Path of the project the change concerns. */
  project?: string | null;
  details?: Record<string, unknown>;
}

/** Filters of the audit listing; `beforeId` is the cursor (events page newest first). */
export interface AuditFilter {
  project?: string;
  actor?: string;
  actorType?: AuditActorType;
  action?: AuditAction;
  since?: Date;
  beforeId?: string;
  limit: number;
}

interface AuditRow {
  id: string;
  created_at: Date;
  actor_type: AuditActorType;
  actor_id: string | null;
  actor_name: string;
  action: AuditAction;
  target_type: AuditTargetView['type'];
  target_id: string | null;
  target_name: string;
  project_path: string | null;
  details: Record<string, unknown>;
  client_address: string | null;
  request_id: string | null;
}

function toEventView(row: AuditRow): AuditEventView {
  return {
    id: row.id,
    created_at: row.created_at.toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    action: row.action,
    target: { type: row.target_type, id: row.target_id, name: row.target_name },
    project: row.project_path,
    details: row.details,
    client_address: row.client_address,
    request_id: row.request_id,
  };
}

/**
 * The audit trail. A change and its event commit together or not at all: callers open a transaction with
 * `transaction()` (or their own), make the change through repositories given that transaction, and `record()` the
 * event in it.
 *
 * ```ts
 * await this.audit.transaction(async (tx) => {
 *   await this.users.deleteUser(user.id, tx);
 *   await this.audit.record(tx, context, { action: 'user.delete', target: { type: 'user', id: user.id, name } });
 * });
 * ```
 */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction; throwing rolls the change and its events back. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return runInTransaction(this.dataSource, work);
  }

  /** Writes one event in the caller's transaction (a Transaction, or the EntityManager of one). */
  async record(tx: Transaction | EntityManager, context: AuditContext, entry: AuditEntry): Promise<void> {
    const manager = tx instanceof EntityManager ? tx : tx.manager;
    if (!manager.queryRunner?.isTransactionActive) {
      // Outside a transaction, the event could be written for a change that then fails, or be lost after one.
      throw new Error('AuditService.record must run inside the transaction of the change it records');
    }
    await manager.query(
      `INSERT INTO audit_events (actor_type, actor_id, actor_name, action, target_type, target_id, target_name,
                                 project_path, details, client_address, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`,
      [
        context.actor.type,
        context.actor.id,
        context.actor.name,
        entry.action,
        entry.target.type,
        entry.target.id,
        entry.target.name,
        entry.project ?? null,
        JSON.stringify(entry.details ?? {}),
        context.clientAddress,
        context.requestId,
      ],
    );
  }

  /** Events matching every given filter, newest first, at most `limit` of them. */
  async list(filter: AuditFilter): Promise<AuditEventView[]> {
    const rows = await this.dataSource.query<AuditRow[]>(
      `SELECT id, created_at, actor_type, actor_id, actor_name, action, target_type, target_id, target_name,
              project_path, details, client_address, request_id
         FROM audit_events
        WHERE ($1::text IS NULL OR project_path = $1::text)
          AND ($2::text IS NULL OR actor_name = $2::text)
          AND ($3::text IS NULL OR actor_type = $3::text)
          AND ($4::text IS NULL OR action = $4::text)
          AND ($5::timestamptz IS NULL OR created_at >= $5::timestamptz)
          AND ($6::bigint IS NULL OR id < $6::bigint)
        ORDER BY id DESC
        LIMIT $7`,
      [
        filter.project ?? null,
        filter.actor ?? null,
        filter.actorType ?? null,
        filter.action ?? null,
        filter.since ?? null,
        filter.beforeId ?? null,
        filter.limit,
      ],
    );
    return rows.map(toEventView);
  }
}
