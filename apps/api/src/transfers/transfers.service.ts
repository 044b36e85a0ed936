import { Inject, Injectable, Logger } from '@nestjs/common';
import { openSealedPayload, sealPayload } from '@lfs-depot/auth';
import type { Config } from '@lfs-depot/config';
import type {
  DownloadAuthorization,
  DownloadCheckAnswer,
  DownloadCheckRequest,
  TransferAuthorizeRequest,
  TransferKeyAnswer,
  UploadAuthorization,
  UploadFinalizeRequest,
} from '@lfs-depot/contracts';
import {
  DomainError,
  ErrorCode,
  formatBytes,
  isValidOid,
  isValidSize,
  quotaExceededError,
} from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';

import { CONFIG, OBJECT_STORAGE, STORAGE_ID } from '../core/api-runtime.js';
import { ApiSecrets } from '../core/api-secrets.js';
import type { UserNote } from '../core/principal.js';
import { ObjectsRepository } from '../objects/objects.repository.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { DirectUploadsService } from './direct-uploads.service.js';
import { TransferAuthorizer } from './transfer-authorizer.js';
import { assertTransferAuthorizeRequest } from './transfer-request.parser.js';
import { UploadLinker } from './upload-linker.js';

/**
 * Without REDIS_URL another instance's unlink never reaches this one: grants are then believed only as long as this
 * instance's own memory of links would be (BroadcastMemo's time to live), the bound README gives for that setup.
 */
const UNSHARED_GRANT_MAX_AGE_MS = 10_000;

interface UploadTicket {
  /** Kind tag: whatever else may ever be sealed with the same key must never pass for a ticket. */
  t: 'ticket';
  p: string;
  o: string;
  s: number;
  k: string;
  e: number;
  /** 1 when the proxy writes the bytes (no deduplicated verify): finalize may then clear a damage mark. */
  w?: 1;
  /** The uploader's username, for finalize's access line (tickets sealed before it was added have none). */
  u?: string;
}

/** The API's side of object transfers: decides, for the proxy, who may write or read which bytes, and links them. */
@Injectable()
export class TransfersService {
  private readonly logger = new Logger(TransfersService.name);

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(STORAGE_ID) private readonly storageId: string | null,
    private readonly secrets: ApiSecrets,
    private readonly authorizer: TransferAuthorizer,
    private readonly projects: ProjectsRepository,
    private readonly objects: ObjectsRepository,
    private readonly directUploads: DirectUploadsService,
    private readonly linker: UploadLinker,
  ) {}

  async authorizeUpload(
    request: TransferAuthorizeRequest,
    noteUser?: UserNote,
  ): Promise<UploadAuthorization> {
    assertTransferAuthorizeRequest(request);
    this.assertObject(request.oid, request.size);
    const { project, principal } = await this.authorizer.authorize(
      request.authorization,
      request.client,
      request.project,
      'write',
      noteUser,
    );
    if (request.size > this.config.limits.maxObjectSize) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        `Object is ${formatBytes(request.size)}, larger than this server's maximum of ${formatBytes(this.config.limits.maxObjectSize)}`,
      );
    }
    // One statement: the object's row (linked or not) and whether this project links it.
    const { object: known, linked } = await this.objects.findUploadTarget(
      project.id,
      request.oid,
      request.size,
    );
    if (project.quotaBytes !== null && !linked) {
      const { lfsObjectsSize: used } = await this.projects.getStatistics(project.id);
      if (used + request.size > project.quotaBytes) {
        throw quotaExceededError({
          project: project.path,
          usedBytes: used,
          quotaBytes: project.quotaBytes,
          requestedBytes: request.size,
        });
      }
    }
    // The one place that decides deduplication. The proxy only carries the answer out (storage.verify instead of
    // storage.put, both hashing and counting every byte) and the backends never re-decide. It is decided here because
    // only the API sees both halves: a recorded row (bytes that a verified upload put there) and storage still
    // holding them at that size. Bytes without a row, or a row whose bytes are gone, are simply written again.
    if (known?.state === 'purging') {
      // Its bytes are being deleted: neither verified against nor overwritten until the row is gone.
      throw new DomainError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `Object ${request.oid} is being removed from storage; upload it again in a moment`,
        { retry_after_seconds: 2 },
      );
    }
    // A row scrub marked damaged is never verified against: its bytes are missing or wrong, so they are written again.
    const alreadyStored =
      known !== undefined &&
      !known.damaged &&
      (await this.storage.stat(known.storageKey))?.size === request.size;
    const ticket: UploadTicket = {
      t: 'ticket',
      p: project.id,
      o: request.oid,
      s: request.size,
      k: known?.storageKey ?? objectKey(request.oid),
      // An upload may take MAX_UPLOAD_SECONDS from authorize to finalize, however long its credentials live.
      e: Math.floor(Date.now() / 1000) + this.config.limits.maxUploadSeconds,
      ...(alreadyStored ? {} : { w: 1 as const }),
      ...(principal ? { u: principal.username } : {}),
    };
    return {
      storageKey: ticket.k,
      alreadyStored,
      ticket: sealPayload(this.secrets.uploadTicketKey, ticket),
      // Writing needs a signed-in user: requireAccess never grants 'write' to an anonymous caller.
      uploader: principal?.userId ?? '',
    };
  }

  /**
   * Links verified bytes to the project. Either the ticket proves this API authorized exactly this upload, or the
   * proxy let the upload in on a transfer token's signature and the client's credentials are checked here in full
   * (revocation, membership, role), before anything is linked.
   */
  async finalizeUpload(request: UploadFinalizeRequest, noteUser?: UserNote): Promise<{ linked: boolean }> {
    if ('authorization' in request && typeof request.authorization === 'string') {
      return this.finalizeTokenUpload(request, noteUser);
    }
    const ticketed = request as Partial<{ ticket: unknown; oid: unknown; size: unknown }>;
    const ticket =
      typeof ticketed.ticket === 'string'
        ? openSealedPayload<UploadTicket>(this.secrets.uploadTicketKey, ticketed.ticket)
        : undefined;
    if (
      !ticket ||
      ticket.t !== 'ticket' ||
      ticket.o !== ticketed.oid ||
      ticket.s !== ticketed.size ||
      ticket.e * 1000 <= Date.now()
    ) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'Invalid or expired upload ticket');
    }
    if (typeof ticket.u === 'string') {
      noteUser?.(ticket.u);
    }
    return await this.linker.linkVerifiedUpload(
      ticket.p,
      { oid: ticket.o, size: ticket.s, storageKey: ticket.k },
      ticket.w === 1,
    );
  }

  /** The public half of the key that signs transfer tokens, for the proxy to check them without asking. */
  transferKey(): TransferKeyAnswer {
    return {
      public_key: this.secrets.transferPublicKey.toString('base64url'),
      max_object_size: this.config.limits.maxObjectSize,
      ...(this.storageId !== null && { storage_id: this.storageId }),
    };
  }

  private async finalizeTokenUpload(
    request: {
      project: unknown;
      oid: unknown;
      size: unknown;
      authorization: string;
      started_at?: unknown;
    },
    noteUser?: UserNote,
  ): Promise<{ linked: boolean }> {
    const { oid, size } = request;
    this.assertObject(oid, size);
    const now = Date.now();
    if (
      typeof request.project !== 'string' ||
      typeof request.started_at !== 'number' ||
      !(request.started_at > 0)
    ) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Invalid project or upload start');
    }
    // The start is the proxy's word: believed at most MAX_UPLOAD_SECONDS back (as long as a ticket lives), so a token
    // expired longer ago than that links nothing, whatever start the proxy (or a holder of INTERNAL_SECRET) claims.
    const startedAt = Math.min(
      now,
      Math.max(request.started_at, now - this.config.limits.maxUploadSeconds * 1000),
    );
    // The proxy wrote the bytes where every object's bytes go (it can't know a row's older key; storage is by content).
    const object = { oid, size: size as number, storageKey: objectKey(oid) };
    let projectId: string;
    try {
      const { project } = await this.authorizer.authorizeStartedUpload(
        request.authorization,
        request.project,
        startedAt,
        noteUser,
      );
      if (object.size > this.config.limits.maxObjectSize) {
        throw new DomainError(
          ErrorCode.VALIDATION_FAILED,
          `Object is ${formatBytes(object.size)}, larger than this server's maximum of ${formatBytes(this.config.limits.maxObjectSize)}`,
        );
      }
      projectId = project.id;
    } catch (error) {
      // Refused now (a revoked token, a lost membership): the verified bytes are linked nowhere, but recorded like
      // those of any refused link, so that garbage collection finds them.
      await this.linker.recordUnlinked(object);
      throw error;
    }
    return this.linker.linkVerifiedUpload(projectId, object, true);
  }

  async authorizeDownload(
    request: Omit<TransferAuthorizeRequest, 'size'>,
    noteUser?: UserNote,
  ): Promise<DownloadAuthorization> {
    assertTransferAuthorizeRequest(request);
    if (!isValidOid(request.oid)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Invalid oid');
    }
    const granted =
      request.grant === undefined
        ? undefined
        : await this.authorizer.authorizeGrant(request.grant, request.oid, request.project, noteUser);
    const { project } =
      granted ??
      (await this.authorizer.authorize(
        request.authorization,
        request.client,
        request.project,
        'read',
        noteUser,
      ));
    // A damaged object's bytes are never served: missing or corrupt, until an upload repairs it.
    const object = (await this.objects.findLinkedObjects(project.id, [request.oid], { healthy: true })).get(
      request.oid,
    );
    if (!object) {
      throw new DomainError(ErrorCode.OBJECT_NOT_FOUND, 'Object does not exist');
    }
    return { storageKey: object.storageKey, size: object.size };
  }

  /**
   * The proxy's re-check of the credential it serves grant downloads on: the grant and its credential's read access
   * to the project, checked in full as for one download, and since when grants prove nothing any more.
   */
  async checkDownloads(request: DownloadCheckRequest, noteUser?: UserNote): Promise<DownloadCheckAnswer> {
    assertTransferAuthorizeRequest(request);
    if (typeof request.grant !== 'string' || typeof request.oid !== 'string' || !isValidOid(request.oid)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Invalid grant or oid: expected strings');
    }
    const granted = await this.authorizer.authorizeGrant(
      request.grant,
      request.oid,
      request.project,
      noteUser,
    );
    if (!granted) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'This download grant is not valid for this object (expired, or not made by this server): fetch again',
      );
    }
    const changed = this.objects.linksChangedSince();
    return {
      links_changed_at:
        this.config.redis.kind === 'redis'
          ? changed
          : Math.max(changed, Date.now() - UNSHARED_GRANT_MAX_AGE_MS),
    };
  }

  /**
   * verify action: 200 when the project links the object and its bytes are in storage, else 404. With `staged` (the
   * ticket of a direct upload), the upload is proven and linked first (DirectUploadsService), which needs write.
   */
  async verifyObject(
    authorization: string | undefined,
    client: string | undefined,
    projectPath: string,
    body: unknown,
    staged?: string,
    noteUser?: UserNote,
  ): Promise<void> {
    const { oid, size } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    this.assertObject(oid, size);
    const { project } = await this.authorizer.authorize(
      authorization,
      client,
      projectPath,
      staged === undefined ? 'read' : 'write',
      noteUser,
    );
    if (staged !== undefined) {
      await this.directUploads.verifyStagedUpload(project, oid, size as number, staged);
    }
    const object = (await this.objects.findLinkedObjects(project.id, [oid], { healthy: true })).get(oid);
    if (!object || object.size !== size) {
      throw new DomainError(ErrorCode.OBJECT_NOT_FOUND, 'Object does not exist');
    }
    const stored = await this.storage.stat(object.storageKey);
    if (stored?.size !== size) {
      this.logger.warn(
        `Object ${oid} is linked to ${project.path} but its bytes are missing or wrong in storage`,
      );
      throw new DomainError(ErrorCode.OBJECT_NOT_FOUND, 'Object does not exist');
    }
  }

  private assertObject(oid: unknown, size: unknown): asserts oid is string {
    if (!isValidOid(oid)) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'Invalid oid: expected 64 lowercase hexadecimal characters',
      );
    }
    if (!isValidSize(size)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'Invalid size: expected a non-negative integer');
    }
  }
}
