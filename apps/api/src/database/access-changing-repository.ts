import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';

import type { Transaction } from './transaction.js';
import { AccessCache } from '../cache/access-cache.js';

/**
 * A repository whose changes can make a remembered sign-in or role wrong. Every change takes an optional Transaction
 * (the audit trail's): given one, it runs in it, and the AccessCache is emptied only after the commit, so no other
 * request remembers again what the transaction is about to change.
 */
@Injectable()
export abstract class AccessChangingRepository {
  constructor(
    protected readonly dataSource: DataSource,
    private readonly accessCache: AccessCache,
  ) {}

  private readonly invalidateAccess = (): Promise<void> => this.accessCache.invalidate();

  /** Where a change runs: in `tx` when given. */
  protected db(tx: Transaction | undefined): DataSource | EntityManager {
    return tx?.manager ?? this.dataSource;
  }

  /** Empties the access memory now, or after the commit of `tx`. */
  protected async changed(tx: Transaction | undefined): Promise<void> {
    if (tx) {
      tx.afterCommit(this.invalidateAccess);
    } else {
      await this.invalidateAccess();
    }
  }
}
