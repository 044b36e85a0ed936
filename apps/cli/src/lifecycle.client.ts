import type {
  JobsPageView,
  JobView,
  ObjectDeletionView,
  ReferencesView,
  ScrubRequest,
} from '@lfs-depot/contracts';

import { AdminClient, ApiError, ConnectionError } from './admin.client.js';
import type { Connection } from './connection.js';

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

  /** PUT /projects/{path}/references, the lines streamed as they come (NDJSON). */
  async putReferences(project: string, lines: AsyncIterable<string>): Promise<ReferencesView> {
    const { baseUrl, token } = this.lifecycleConnection;
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
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/api/v1${projectRoute(project)}/references`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-ndjson',
          accept: 'application/json',
          'user-agent': 'lfs-depot-cli',
        },
        body: body(),
        redirect: 'manual',
        duplex: 'half',
      });
    } catch (err) {
      throw new ConnectionError(baseUrl, err instanceof Error ? err.message : String(err));
    }
    const text = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    if (response.status !== 200) {
      throw new ApiError(
        typeof parsed.message === 'string' ? parsed.message : `HTTP ${response.status}`,
        response.status,
        typeof parsed.code === 'string' ? parsed.code : undefined,
        typeof parsed.request_id === 'string' ? parsed.request_id : undefined,
      );
    }
    return parsed as unknown as ReferencesView;
  }
}
