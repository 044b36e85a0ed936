import { Readable } from 'node:stream';

import type {
  JobsPageView,
  JobView,
  ObjectDeletionView,
  ReferencesView,
  ScrubRequest,
} from '@lfs-depot/contracts';

import { AdminClient } from './admin.client.js';
import type { Connection } from './connection.js';
import { sendStreamingBody } from './streaming-request.js';

const projectRoute = (path: string): string => `/projects/${encodeURIComponent(path)}`;

/** The storage lifecycle routes of the admin API: references, gc, scrub, deletion, jobs. */
export class LifecycleClient extends AdminClient {
  constructor(private readonly lifecycleConnection: Connection) {
    super(lifecycleConnection);
  }

  /** DELETE /projects/{path}/objects/{oid} */
  deleteObject(project: string, oid: string): Promise<ObjectDeletionView> {
    return this.json<ObjectDeletionView>(
      'DELETE',
      `${projectRoute(project)}/objects/${encodeURIComponent(oid)}`,
    );
  }

  /** DELETE /objects/{oid} */
  deleteObjectEverywhere(oid: string): Promise<ObjectDeletionView> {
    return this.json<ObjectDeletionView>('DELETE', `/objects/${encodeURIComponent(oid)}`);
  }

  /** POST /gc */
  startGc(body: { project?: string; dry_run?: boolean }): Promise<JobView> {
    return this.json<JobView>('POST', '/gc', body);
  }

  /** POST /scrub */
  startScrub(body: ScrubRequest): Promise<JobView> {
    return this.json<JobView>('POST', '/scrub', body);
  }

  /** GET /jobs/{id} */
  getJob(id: string): Promise<JobView> {
    return this.json<JobView>('GET', `/jobs/${encodeURIComponent(id)}`);
  }

  /** GET /jobs, the newest page */
  listJobs(limit = 20): Promise<JobsPageView> {
    return this.json<JobsPageView>('GET', `/jobs?limit=${limit}`);
  }

  /** POST /jobs/{id}/cancel */
  cancelJob(id: string): Promise<JobView> {
    return this.json<JobView>('POST', `/jobs/${encodeURIComponent(id)}/cancel`);
  }

  /**
   * PUT /projects/{path}/references, the lines streamed as they come (NDJSON), over node:http: the server answers
   * only once it has read and compared them all, which for a large repository can take longer than fetch waits.
   */
  putReferences(project: string, lines: AsyncIterable<string>): Promise<ReferencesView> {
    const encoder = new TextEncoder();
    async function* body(): AsyncGenerator<Uint8Array> {
      let pending = '';
      for await (const line of lines) {
        pending += line;
        if (pending.length >= 64 * 1024) {
          yield encoder.encode(pending);
          pending = '';
        }
      }
      if (pending.length > 0) {
        yield encoder.encode(pending);
      }
    }
    return sendStreamingBody<ReferencesView>(
      this.lifecycleConnection,
      'PUT',
      `/api/v1${projectRoute(project)}/references`,
      'application/x-ndjson',
      Readable.from(body()),
    );
  }
}
