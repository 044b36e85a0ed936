import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, expect, jest } from '@jest/globals';
import type { ProxyConfig } from '@lfs-depot/config';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { LocalStorage, ObjectStorage } from '@lfs-depot/storage';

import { TransfersService } from '../../apps/api/src/transfers/transfers.service.js';
import { adminClient } from './api-harness.js';
import type { Stack } from './stack.js';
import { startStack } from './stack.js';

// Raw HTTP against the whole stack (proxy in front of the API, local disk): what the transfer e2e specs share.

export interface TestObject {
  data: Buffer;
  oid: string;
  size: number;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface BatchAction {
  href: string;
  header?: Record<string, string>;
}

export interface BatchObject {
  oid: string;
  size: number;
  actions?: { upload?: BatchAction; verify?: BatchAction; download?: BatchAction };
  error?: { code: number; message: string };
}

export function testObject(size: number): TestObject {
  const data = randomBytes(size);
  return { data, oid: createHash('sha256').update(data).digest('hex'), size };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** One request on its own connection; `body` is written in the given pieces, `pauseMs` apart. */
export function request(
  url: string,
  options: {
    method: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string;
    pieces?: Buffer[];
    pauseMs?: number;
  },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.pieces) {
      const pieces = [...options.pieces];
      const writeNext = (): void => {
        const piece = pieces.shift();
        if (piece === undefined) {
          req.end();
          return;
        }
        req.write(piece);
        setTimeout(writeNext, options.pauseMs ?? 0);
      };
      writeNext();
    } else {
      req.end(options.body);
    }
  });
}

/** Sends headers and only part of a body on a raw socket, then closes it: a client that dies mid-upload. */
export function truncatedUpload(
  url: string,
  headers: Record<string, string | number>,
  partial: Buffer,
): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(received).toString('utf8')));
    socket.on('connect', () => {
      const head = [
        `PUT ${target.pathname} HTTP/1.1`,
        `Host: ${target.host}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      socket.write(partial, () => setTimeout(() => socket.end(), 200));
    });
  });
}

export function json(answer: RawAnswer): Record<string, unknown> {
  return JSON.parse(answer.body) as Record<string, unknown>;
}

/** The users every transfer spec has: alice may write to each project, bob is a member of none. */
export const alice = { username: 'alice', password: 'alice-password-123' };
export const bob = { username: 'bob', password: 'bob-password-1234' };

export interface ProjectSpec {
  path: string;
  visibility?: 'private' | 'public';
  quota?: number;
}

/** Spies on the API's transfer calls and the storage's writes (TransferStack.spyOnTransfers). */
export interface TransferSpies {
  authorize: jest.SpiedFunction<TransfersService['authorizeUpload']>;
  finalize: jest.SpiedFunction<TransfersService['finalizeUpload']>;
  verify: jest.SpiedFunction<TransfersService['verifyObject']>;
  put: jest.SpiedFunction<ObjectStorage['put']>;
  restore: () => void;
}

/** Both apps on local disk, with alice, bob and the given projects, and the raw-HTTP steps of a transfer. */
export class TransferStack {
  readonly projectIds = new Map<string, string>();

  private constructor(
    readonly stack: Stack,
    readonly admin: ReturnType<typeof adminClient>,
    readonly storageRoot: string,
    readonly aliceId: string,
  ) {}

  static async start(
    projects: ProjectSpec[],
    options: { storage?: ObjectStorage; proxyLimits?: Partial<ProxyConfig> } = {},
  ): Promise<TransferStack> {
    const stack = await startStack({}, options);
    const admin = adminClient(stack.url);
    const aliceId = (await admin.createUser(alice.username, alice.password)).body?.id as string;
    await admin.createUser(bob.username, bob.password);
    // storageRoot means something on local disk only; S3 specs look into their bucket instead.
    const root = (stack.api.storage as Partial<LocalStorage>).root ?? '';
    const transfers = new TransferStack(stack, admin, root, aliceId);
    for (const project of projects) {
      await transfers.createProject(project);
    }
    return transfers;
  }

  close(): Promise<void> {
    return this.stack.close();
  }

  /** Resolves once every upload and download the proxy has started is over: nothing of theirs can happen later. */
  settled(): Promise<void> {
    return this.stack.proxy.transfersSettled();
  }

  lfs(project: string, suffix: string): string {
    return `${this.stack.url}/${project}.git/info/lfs/${suffix}`;
  }

  batch(
    project: string,
    operation: 'upload' | 'download',
    objects: { oid: string; size: number }[],
    authorization?: string,
  ): Promise<RawAnswer> {
    return request(this.lfs(project, 'objects/batch'), {
      method: 'POST',
      headers: {
        accept: LFS_MEDIA_TYPE,
        'content-type': LFS_MEDIA_TYPE,
        ...(authorization ? { authorization } : {}),
      },
      // Only oid and size: a TestObject's bytes serialized into the batch would be a body of megabytes.
      body: JSON.stringify({
        operation,
        transfers: ['basic'],
        objects: objects.map(({ oid, size }) => ({ oid, size })),
      }),
    });
  }

  /** The upload (and verify) action of one object, as alice unless other credentials are given. */
  async uploadActions(
    project: string,
    object: TestObject,
    authorization = basic(alice.username, alice.password),
  ): Promise<{ upload: BatchAction; verify: BatchAction }> {
    const answer = await this.batch(project, 'upload', [object], authorization);
    expect(answer.status).toBe(200);
    const [result] = json(answer).objects as BatchObject[];
    const { upload, verify } = result?.actions ?? {};
    if (!upload || !verify) {
      throw new Error(`no upload action for ${object.oid}: ${answer.body}`);
    }
    return { upload, verify };
  }

  /**
   * Spies on the API's upload calls and on the storage's writes (which the proxy and the API share), so that a test
   * can tell what a request cost the API and what reached the disk; restore() puts them back.
   */
  spyOnTransfers(): TransferSpies {
    const service = this.stack.api.app.get(TransfersService);
    const authorize = jest.spyOn(service, 'authorizeUpload');
    const finalize = jest.spyOn(service, 'finalizeUpload');
    const verify = jest.spyOn(service, 'verifyObject');
    const put = jest.spyOn(this.stack.api.storage, 'put');
    return {
      authorize,
      finalize,
      verify,
      put,
      restore: () => {
        for (const spy of [authorize, finalize, verify, put]) {
          spy.mockRestore();
        }
      },
    };
  }

  put(action: BatchAction, body: Buffer, headers: Record<string, string | number> = {}): Promise<RawAnswer> {
    return request(action.href, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', ...action.header, ...headers },
      body,
    });
  }

  async upload(project: string, object: TestObject): Promise<void> {
    const { upload: action } = await this.uploadActions(project, object);
    expect((await this.put(action, object.data)).status).toBe(200);
  }

  /** Every file under the storage root except the temporary folder, which must be empty. */
  async storedFiles(): Promise<string[]> {
    const entries = await readdir(this.storageRoot, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(this.storageRoot, path.join(entry.parentPath, entry.name)))
      .sort();
  }

  async tempFiles(): Promise<string[]> {
    return (await this.storedFiles()).filter((file) => file.startsWith(`tmp${path.sep}`));
  }

  /** Everything the transfer path may change in the database, for before/after comparisons. */
  async tables(): Promise<unknown> {
    const query = (sql: string) => this.stack.api.dataSource.query<unknown[]>(sql);
    return {
      objects: await query(`SELECT oid, size, storage_key FROM lfs_objects ORDER BY oid`),
      links: await query(
        `SELECT o.oid, l.project_id FROM lfs_objects_projects l JOIN lfs_objects o ON o.id = l.lfs_object_id
          ORDER BY o.oid, l.project_id`,
      ),
      statistics: await query(
        `SELECT project_id, lfs_objects_count, lfs_objects_size FROM project_statistics ORDER BY project_id`,
      ),
    };
  }

  async objectRows(oid: string): Promise<number> {
    const rows = await this.stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects WHERE oid = $1`,
      [oid],
    );
    return rows[0]?.n ?? -1;
  }

  async createProject({ path: project, visibility = 'private', quota }: ProjectSpec): Promise<void> {
    const created = await this.admin.createProject(project, visibility, quota);
    expect(created.status).toBe(201);
    this.projectIds.set(project, created.body?.id as string);
    expect((await this.admin.setMember(project, alice.username, 'write')).status).toBe(200);
  }
}

/**
 * Starts a TransferStack for the describe block it is called in (with the proxy's limits changed as given) and closes
 * it after the block; the returned function gives the stack inside its tests and hooks.
 */
export function useTransferStack(
  projects: ProjectSpec[],
  options: { storage?: () => Promise<ObjectStorage>; proxyLimits?: Partial<ProxyConfig> } = {},
): () => TransferStack {
  let transfers: TransferStack | undefined;
  beforeAll(async () => {
    transfers = await TransferStack.start(projects, {
      storage: await options.storage?.(),
      proxyLimits: options.proxyLimits,
    });
  });
  afterAll(async () => {
    await transfers?.close();
  });
  return () => {
    if (!transfers) {
      throw new Error('the transfer stack is only there inside the tests and hooks of its describe block');
    }
    return transfers;
  };
}
