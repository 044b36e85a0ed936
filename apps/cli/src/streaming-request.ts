import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

import { ApiError, ConnectionError } from './admin.client.js';
import type { Connection } from './connection.js';

/** Longest error body read from a refused streaming request. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * A request to the admin API over node:http rather than fetch, for the routes that stream: fetch (undici) gives up
 * when an answer's headers take 300 s after the body was sent or its body pauses 300 s, and an import, an export or a
 * references sync of a large repository may legitimately take longer. node:http sets no such timeout.
 */
export function openStreamingRequest(
  connection: Connection,
  method: string,
  path: string,
  headers: Record<string, string>,
): http.ClientRequest {
  const url = new URL(`${connection.baseUrl}${path}`);
  const transport = url.protocol === 'https:' ? https : http;
  return transport.request(url, {
    method,
    headers: {
      ...headers,
      authorization: `Bearer ${connection.token}`,
      'user-agent': 'lfs-depot-cli',
    },
  });
}

/**
 * Sends `body` streamed to `method path` and resolves to the JSON answer once the server has read it all (200),
 * rejects with ApiError for any other status and ConnectionError when the server cannot be reached.
 */
export function sendStreamingBody<T>(
  connection: Connection,
  method: string,
  path: string,
  contentType: string,
  body: Readable,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = openStreamingRequest(connection, method, path, {
      accept: 'application/json',
      'content-type': contentType,
    });
    req.on('error', (error) => reject(new ConnectionError(connection.baseUrl, error.message)));
    body.on('error', (error) => req.destroy(error));
    req.on('response', (res) => {
      // An early answer (a refusal) ends the upload: what is left of the body is not wanted.
      body.unpipe(req);
      if (res.statusCode !== 200) {
        void readError(res).then(reject, reject);
        return;
      }
      void readBody(res, Number.POSITIVE_INFINITY).then((text) => resolve(JSON.parse(text) as T), reject);
    });
    body.pipe(req);
  });
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

/** The ApiError a refused streaming request's answer describes. */
export async function readError(res: http.IncomingMessage): Promise<ApiError> {
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
