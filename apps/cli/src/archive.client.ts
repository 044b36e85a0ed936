import type http from 'node:http';
import type { Readable } from 'node:stream';

import type { ProjectImportReport } from '@lfs-depot/contracts';
import { PROJECT_ARCHIVE_MEDIA_TYPE } from '@lfs-depot/contracts';

import { ConnectionError } from './admin.client.js';
import type { Connection } from './connection.js';
import { openStreamingRequest, readError, sendStreamingBody } from './streaming-request.js';

const projectRoute = (path: string): string => `/api/v1/projects/${encodeURIComponent(path)}`;

/**
 * The two streaming routes of project archives, over node:http rather than fetch (see openStreamingRequest): an
 * import's answer comes only once the whole archive was read, and an export may take hours.
 */
export class ArchiveClient {
  constructor(private readonly connection: Connection) {}

  /** GET …/export: the archive as it comes, and the id of the job that follows it. */
  exportProject(project: string): Promise<{ archive: http.IncomingMessage; jobId: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = openStreamingRequest(this.connection, 'GET', `${projectRoute(project)}/export`, {
        accept: PROJECT_ARCHIVE_MEDIA_TYPE,
      });
      req.on('error', (error) => reject(new ConnectionError(this.connection.baseUrl, error.message)));
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          void readError(res).then(reject, reject);
          return;
        }
        const job = res.headers['x-lfs-depot-job'];
        resolve({ archive: res, jobId: typeof job === 'string' ? job : undefined });
      });
      req.end();
    });
  }

  /** PUT …/import with `archive` as the body, streamed; resolves to the report once the server read it all. */
  importProject(project: string, archive: Readable, ignoreQuota: boolean): Promise<ProjectImportReport> {
    const query = ignoreQuota ? '?ignore_quota=true' : '';
    return sendStreamingBody<ProjectImportReport>(
      this.connection,
      'PUT',
      `${projectRoute(project)}/import${query}`,
      PROJECT_ARCHIVE_MEDIA_TYPE,
      archive,
    );
  }
}
