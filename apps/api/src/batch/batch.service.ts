import { Inject, Injectable } from '@nestjs/common';
import { signDownloadGrants, transferTokenPayload } from '@lfs-depot/auth';
import type { Config } from '@lfs-depot/config';
import type { BatchAction, BatchObjectResult, BatchResponse } from '@lfs-depot/contracts';
import {
  DOWNLOAD_GRANT_HEADER,
  formatBytes,
  isValidOid,
  isValidSize,
  quotaExceededError,
} from '@lfs-depot/contracts';
import type { DirectTransfers } from '@lfs-depot/storage';

import { TransferTokenService } from '../auth/transfer-token.service.js';
import { ApiSecrets } from '../core/api-secrets.js';
import { CONFIG, DIRECT_TRANSFERS } from '../core/api-runtime.js';
import { ApiMetrics } from '../metrics/api-metrics.js';
import type { Principal } from '../core/principal.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import type { UnavailableOids } from '../objects/objects.repository.js';
import { sealStagedUploadTicket } from '../objects/staged-upload-ticket.js';
import { ProjectAccessService } from '../projects/project-access.service.js';
import type { ProjectAccess } from '../projects/project-access.service.js';
import type { Project } from '../projects/project.entity.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { parseBatchRequest } from './batch-request.parser.js';
import type { VouchedStrings } from './batch-response.serializer.js';
import { isJsonSafeAscii } from './batch-response.serializer.js';

/** A batch answer, and which of its strings the service built from checked parts (see VouchedStrings). */
export interface BatchAnswer {
  response: BatchResponse;
  vouched: VouchedStrings;
}

/**
 * A batch's grants are given again to the same batch (same project, user, token expiry and objects) for this long,
 * while no link was removed since they were made: repeated batches ask for the same objects, as for the token reuse.
 * Well within the 10 s for which the proxy believes grants without REDIS_URL.
 */
const GRANT_REUSE_MS = 5_000;
/** Characters of remembered grants (about 345 per object); past it everything is forgotten. */
const MAX_REMEMBERED_GRANT_CHARS = 4_000_000;

const NONE_UNAVAILABLE: UnavailableOids = { removed: new Set(), damaged: new Set() };

/**
 * A download of an object whose stored bytes scrub found missing or corrupt: 404 as the batch spec has for an object
 * the server cannot give, with words saying how it comes back (a push of it uploads it again).
 */
const DAMAGED_OBJECT_ERROR = {
  code: 404,
  message: 'Object is damaged on the server; push it again to repair it',
} as const;

/** Answers the Git LFS batch API: which objects to transfer, where, and with which credentials. */
@Injectable()
export class BatchService {
  private readonly grantMemo = new Map<string, { issuedAt: number; grants: string[] }>();
  private grantChars = 0;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly access: ProjectAccessService,
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly transferTokens: TransferTokenService,
    private readonly metrics: ApiMetrics,
    private readonly secrets: ApiSecrets,
    @Inject(DIRECT_TRANSFERS) private readonly direct: DirectTransfers | null,
  ) {}

  /** `readAccess`: the caller's access as checked for 'read' before the body was read, reused for a download. */
  async batch(
    principal: Principal | undefined,
    projectPath: string,
    body: unknown,
    readAccess?: ProjectAccess,
  ): Promise<BatchAnswer> {
    const request = parseBatchRequest(body, this.config.limits.maxObjectsPerBatch);
    this.metrics.batchObjects.observe({ operation: request.operation }, request.objects.length);
    const needed = request.operation === 'upload' ? 'write' : 'read';
    const { project } =
      needed === 'read' && readAccess
        ? readAccess
        : await this.access.requireAccess(principal, projectPath, needed);

    const validOids = new Set<string>();
    for (const { oid } of request.objects) {
      if (isValidOid(oid)) {
        validOids.add(oid);
      }
    }
    const direct = this.direct !== null ? this.config.directTransfers : undefined;
    // Before the links are looked up: a grant says what was linked as of then, and one removed after is announced later.
    const lookedUpAt = Date.now();
    // A presigned download needs the object's storage key, which the LinkCache does not keep: one query either way.
    const linkedObjects =
      direct && direct.mode !== 'off' && request.operation === 'download'
        ? await this.objects.findLinkedObjects(project.id, [...validOids])
        : undefined;
    const linked = linkedObjects
      ? new Map([...linkedObjects].map(([oid, object]) => [oid, object.size]))
      : await this.objects.findLinkedSizes(project.id, [...validOids]);
    const ttl = this.config.limits.actionTtlSeconds;
    const credential = this.actionCredential(principal, project, needed);
    const actionHeader = credential?.header;
    const base = `${this.config.http.publicUrl}/${project.path}.git/info/lfs/objects`;
    // The actions' token is capped at its parent credential's expiry (and may be one minted moments ago), so git-lfs
    // must be told its own, shorter lifetime.
    const expiresIn =
      credential === undefined
        ? ttl
        : Math.max(0, Math.min(ttl, credential.expiresAt - Math.floor(Date.now() / 1000)));

    if (request.operation === 'upload') {
      await this.assertQuotaRoom(project, request.objects, linked);
    }

    // Objects deleted on purpose answer 410, as the batch spec has it, until uploaded again, and objects scrub found
    // damaged an error of their own: one more query, only when a download asks for objects the project does not
    // link (healthily).
    let unavailable = NONE_UNAVAILABLE;
    if (request.operation === 'download') {
      const unlinked = request.objects
        .filter(({ oid, size }) => typeof oid === 'string' && validOids.has(oid) && linked.get(oid) !== size)
        .map(({ oid }) => oid as string);
      if (unlinked.length > 0) {
        unavailable = await this.objects.findUnavailableOids(project.id, unlinked);
      }
    }

    const objects: BatchObjectResult[] = request.objects.map(({ oid, size }) => {
      const invalid = this.validateObject(oid, size, request.operation, validOids);
      if (invalid) {
        return {
          oid: oid ?? '',
          // The published response schema wants a non-negative integer even when the request's was not.
          size: isValidSize(size) ? size : 0,
          error: invalid,
        };
      }
      // Literals rather than spreads: an object spread per answer was a large share of a batch (bench/README.md).
      const validOid = oid as string;
      const validSize = size as number;
      const storedSize = linked.get(validOid);
      if (request.operation === 'download') {
        if (storedSize !== validSize) {
          if (unavailable.removed.has(validOid)) {
            return {
              oid: validOid,
              size: validSize,
              error: { code: 410, message: 'Object removed by the owner' },
            };
          }
          if (unavailable.damaged.has(validOid)) {
            return { oid: validOid, size: validSize, error: DAMAGED_OBJECT_ERROR };
          }
          return { oid: validOid, size: validSize, error: { code: 404, message: 'Object does not exist' } };
        }
        return {
          oid: validOid,
          size: validSize,
          authenticated: true,
          actions: { download: this.action(`${base}/${validOid}`, actionHeader, expiresIn) },
        };
      }
      if (storedSize === validSize) {
        // Already linked to this project: the client has nothing to send (batch.md: omit actions).
        return { oid: validOid, size: validSize, authenticated: true };
      }
      return {
        oid: validOid,
        size: validSize,
        authenticated: true,
        actions: {
          upload: this.action(`${base}/${validOid}/${validSize}`, actionHeader, expiresIn),
          verify: this.action(`${base}/verify`, actionHeader, expiresIn),
        },
      };
    });
    const grantCredential = credential && transferTokenPayload(credential.token);
    if (grantCredential && request.operation === 'download' && !linkedObjects) {
      this.grantDownloads(objects, {
        projectPath: project.path,
        credential: grantCredential,
        issuedAt: lookedUpAt,
        expiresAt: credential.expiresAt,
      });
    }
    if (this.direct !== null && direct) {
      await this.directActions(this.direct, direct, objects, {
        project,
        base,
        actionHeader,
        expiresIn,
        linkedObjects,
      });
    }
    return {
      response: { transfer: 'basic', objects, hash_algo: 'sha256' },
      vouched:
        this.direct === null && this.vouchable(base, actionHeader, grantCredential) ? 'actions' : 'none',
    };
  }

  /**
   * Whether every href and header value of this answer is JSON-safe ASCII: each href is `base` and a validated oid
   * (and size); a grant is digits, dots, base64url and the credential it carries (@lfs-depot/auth download-grant);
   * `base`, that credential and the header are checked here, once per answer. Presigned URLs and their headers
   * (DIRECT_TRANSFERS) are not vouched for.
   */
  private vouchable(
    base: string,
    header: Record<string, string> | undefined,
    grantCredential: string | undefined,
  ): boolean {
    if (!isJsonSafeAscii(base) || (grantCredential !== undefined && !isJsonSafeAscii(grantCredential))) {
      return false;
    }
    for (const name in header) {
      if (!isJsonSafeAscii(header[name])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Gives each download action its grant (@lfs-depot/auth download-grant), with which the proxy serves it without
   * asking the API: one signature for the batch, a path to its root per object. The grant carries the transfer
   * token's claims under its own signature, so it replaces the action's Authorization header: half the answer's bytes.
   */
  private grantDownloads(
    objects: BatchObjectResult[],
    claims: Parameters<typeof signDownloadGrants>[0],
  ): void {
    const granted = objects.filter((object) => object.actions?.download?.header !== undefined);
    let key = `${claims.projectPath}\n${claims.credential}\n${claims.expiresAt}`;
    for (const object of granted) {
      key += ` ${object.oid}:${object.size}`;
    }
    const known = this.grantMemo.get(key);
    let grants: string[];
    if (
      known &&
      claims.issuedAt - known.issuedAt < GRANT_REUSE_MS &&
      known.issuedAt > this.objects.linksChangedSince()
    ) {
      grants = known.grants;
    } else {
      grants = signDownloadGrants(claims, granted, this.secrets.transferSigningKey);
      this.rememberGrants(key, claims.issuedAt, grants);
    }
    granted.forEach((object, i) => {
      const action = object.actions?.download as BatchAction;
      action.header = { [DOWNLOAD_GRANT_HEADER]: grants[i] };
    });
  }

  private rememberGrants(key: string, issuedAt: number, grants: string[]): void {
    const chars = grants.reduce((sum, grant) => sum + grant.length, key.length);
    const replaced = this.grantMemo.get(key);
    if (replaced) {
      this.grantChars -= replaced.grants.reduce((sum, grant) => sum + grant.length, key.length);
    }
    if (this.grantChars + chars > MAX_REMEMBERED_GRANT_CHARS) {
      this.grantMemo.clear();
      this.grantChars = 0;
    }
    this.grantMemo.set(key, { issuedAt, grants });
    this.grantChars += chars;
  }

  /**
   * Points the actions at the bucket (DIRECT_TRANSFERS): a download at a presigned GET of the linked object, with no
   * Authorization header (S3 refuses a second credential); an upload of at most DIRECT_UPLOAD_MAX at a presigned PUT
   * to a staging key, whose verify action carries the sealed ticket naming it. Larger uploads keep the proxy's href.
   */
  private async directActions(
    transfers: DirectTransfers,
    direct: Config['directTransfers'],
    objects: BatchObjectResult[],
    context: {
      project: Project;
      base: string;
      actionHeader: Record<string, string> | undefined;
      expiresIn: number;
      linkedObjects: ReadonlyMap<string, { storageKey: string }> | undefined;
    },
  ): Promise<void> {
    const { project, base, actionHeader, expiresIn, linkedObjects } = context;
    await Promise.all(
      objects.map(async (object) => {
        const actions = object.actions;
        if (actions?.download) {
          const stored = linkedObjects?.get(object.oid);
          if (stored) {
            actions.download = {
              href: await transfers.presignDownload(stored.storageKey, expiresIn),
              expires_in: expiresIn,
            };
          }
        } else if (actions?.upload && direct.mode === 'all' && object.size <= direct.uploadMax) {
          const staged = await transfers.presignUpload({ oid: object.oid, size: object.size }, expiresIn);
          const ticket = sealStagedUploadTicket(this.secrets.uploadTicketKey, {
            projectId: project.id,
            oid: object.oid,
            size: object.size,
            stagingKey: staged.stagingKey,
            expiresIn,
          });
          actions.upload = { href: staged.href, header: staged.header, expires_in: expiresIn };
          actions.verify = this.action(`${base}/verify?staged=${ticket}`, actionHeader, expiresIn);
        }
      }),
    );
  }

  private validateObject(
    oid: unknown,
    size: unknown,
    operation: 'upload' | 'download',
    validOids: ReadonlySet<string>,
  ): BatchObjectResult['error'] {
    if (typeof oid !== 'string' || !validOids.has(oid)) {
      return { code: 422, message: 'Invalid oid: expected 64 lowercase hexadecimal characters (sha256)' };
    }
    if (!isValidSize(size)) {
      return { code: 422, message: 'Invalid size: expected a non-negative integer' };
    }
    if (operation === 'upload' && size > this.config.limits.maxObjectSize) {
      return {
        code: 422,
        message: `Object is ${formatBytes(size)}, larger than this server's maximum of ${formatBytes(this.config.limits.maxObjectSize)}`,
      };
    }
    return undefined;
  }

  /** Refuses the whole batch (507) when its new objects cannot fit in the quota; finalize checks again, atomically. */
  private async assertQuotaRoom(
    project: Project,
    objects: { oid: unknown; size: unknown }[],
    linked: ReadonlyMap<string, number>,
  ): Promise<void> {
    if (project.quotaBytes === null) {
      return;
    }
    const incoming = new Map<string, number>();
    for (const { oid, size } of objects) {
      if (isValidOid(oid) && isValidSize(size) && linked.get(oid) !== size) {
        incoming.set(oid, size);
      }
    }
    let adding = [...incoming.values()].reduce((sum, size) => sum + size, 0);
    if (adding === 0) {
      return;
    }
    const { lfsObjectsSize: used } = await this.projects.getStatistics(project.id);
    if (used + adding > project.quotaBytes) {
      // Damaged objects the project links are not linked as far as the batch is concerned (they must be sent again),
      // but they count in `used` already: healing them adds nothing. Asked only when the batch would be refused.
      const damaged = await this.objects.findDamagedLinkedSizes(project.id, [...incoming.keys()]);
      for (const [oid, size] of incoming) {
        if (damaged.get(oid) === size) {
          adding -= size;
        }
      }
    }
    if (used + adding > project.quotaBytes) {
      throw quotaExceededError({
        project: project.path,
        usedBytes: used,
        quotaBytes: project.quotaBytes,
        requestedBytes: adding,
      });
    }
  }

  /** Credentials for the actions: a transfer token for signed-in users; anonymous readers of public projects need none. */
  private actionCredential(
    principal: Principal | undefined,
    project: Project,
    role: 'read' | 'write',
  ): { header: Record<string, string>; token: string; expiresAt: number } | undefined {
    if (!principal) {
      return undefined;
    }
    const { token, expiresAt } = this.transferTokens.issueReusable(
      principal,
      project,
      role,
      this.config.limits.actionTtlSeconds,
    );
    return {
      header: { Authorization: `Basic ${Buffer.from(`${principal.username}:${token}`).toString('base64')}` },
      token,
      expiresAt,
    };
  }

  private action(href: string, header: Record<string, string> | undefined, expiresIn: number): BatchAction {
    return header ? { href, header, expires_in: expiresIn } : { href, expires_in: expiresIn };
  }
}
