import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

import type { ProjectImportReport } from '@lfs-depot/contracts';
import { PROJECT_ARCHIVE_MEDIA_TYPE } from '@lfs-depot/contracts';

import { ApiError, ConnectionError } from './admin.client.js';
import type { Connection } from './connection.js';

const projectRoute = (path: string): string => `/api/v1/projects/${encodeURIComponent(path)}`;

/** Longest error body read from a refused archive request. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * The two streaming routes of project archives, over node:http rather than fetch: an import's answer comes only once
 * the whole archive was read, and an export may take hours, longer than fetch's fixed header and body timeouts.
 */
export class ArchiveClient {
  constructor(private readonly connection: Connection) {}

  /** GET …/export: the archive as it comes, and the id of the job that follows it. */
  exportProject(project: string): Promise<{ archive: http.IncomingMessage; jobId: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = this.request('GET', `${projectRoute(project)}/export`, {
        accept: PROJECT_ARCHIVE_MEDIA_TYPE,
      });
      req.on('error', (error) => reject(this.connectionError(error)));
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
    return new Promise((resolve, reject) => {
      const query = ignoreQuota ? '?ignore_quota=true' : '';
      const req = this.request('PUT', `${projectRoute(project)}/import${query}`, {
        accept: 'application/json',
        'content-type': PROJECT_ARCHIVE_MEDIA_TYPE,
      });
      req.on('error', (error) => reject(this.connectionError(error)));
      archive.on('error', (error) => req.destroy(error));
      req.on('response', (res) => {
        archive.unpipe(req);
        if (res.statusCode !== 200) {
          void readError(res).then(reject, reject);
          return;
        }
        void readBody(res, Number.POSITIVE_INFINITY).then(
          (text) => resolve(JSON.parse(text) as ProjectImportReport),
          reject,
        );
      });
      archive.pipe(req);
    });
  }

  private request(method: string, path: string, headers: Record<string, string>): http.ClientRequest {
    const url = new URL(`${this.connection.baseUrl}${path}`);
    const transport = url.protocol === 'https:' ? https : http;
    return transport.request(url, {
      method,
      headers: {
        ...headers,
        authorization: `Bearer ${this.connection.token}`,
        'user-agent': 'lfs-depot-cli',
      },
    });
  }

  private connectionError(error: Error): ConnectionError {
    return new ConnectionError(this.connection.baseUrl, error.message);
  }
}

async function readBody(res: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (length < limit) {
      chunks.push(chunk);
    }
    length += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

async function readError(res: http.IncomingMessage): Promise<ApiError> {
  const text = await readBody(res, MAX_ERROR_BODY).catch(() => '');
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not ours (a load balancer's page): the status says enough.
  }
  return new ApiError(
    typeof parsed.message === 'string' ? parsed.message : `HTTP ${res.statusCode ?? 0}`,
    res.statusCode ?? 0,
    typeof parsed.code === 'string' ? parsed.code : undefined,
    typeof parsed.request_id === 'string' ? parsed.request_id : undefined,
  );
}
