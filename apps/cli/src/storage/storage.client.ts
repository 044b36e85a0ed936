import type { JobView, StorageMigrateRequest } from '@lfs-depot/contracts';

import { AdminClient } from '../admin.client.js';

/** The storage routes of the admin API, and the jobs they queue. */
export class StorageClient extends AdminClient {
  /** POST /storage/migrate */
  startMigration(body: StorageMigrateRequest): Promise<JobView> {
    return this.json<JobView>('POST', '/storage/migrate', body);
  }

  /** GET /jobs/{id} */
  getJob(id: string): Promise<JobView> {
    return this.json<JobView>('GET', `/jobs/${encodeURIComponent(id)}`);
  }
}
