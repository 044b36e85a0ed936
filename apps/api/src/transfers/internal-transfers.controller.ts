import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import type {
  DownloadAuthorization,
  DownloadCheckAnswer,
  DownloadCheckRequest,
  TransferAuthorizeRequest,
  TransferKeyAnswer,
  UploadAuthorization,
  UploadFinalizeRequest,
} from '@lfs-depot/contracts';
import { INTERNAL_AUTHORIZE_MEDIA_TYPE } from '@lfs-depot/contracts';

import { InternalSignatureGuard } from '../auth/internal-signature.guard.js';
import type { UserNote } from '../core/principal.js';
import { ApiExcludeController } from '../http/openapi.decorator.js';
import { RequestUserNote } from '../http/request-log.js';
import { TransfersService } from './transfers.service.js';

/** Called only by the proxy (signed), around the object bytes it streams. */
@ApiExcludeController()
@UseGuards(InternalSignatureGuard)
@Controller('internal')
export class InternalTransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post('uploads/authorize')
  @HttpCode(200)
  @Header('Content-Type', INTERNAL_AUTHORIZE_MEDIA_TYPE)
  authorizeUpload(
    @Body() body: TransferAuthorizeRequest,
    @RequestUserNote() noteUser: UserNote,
  ): Promise<UploadAuthorization> {
    return this.transfers.authorizeUpload(body, noteUser);
  }

  @Post('uploads/finalize')
  @HttpCode(200)
  finalizeUpload(
    @Body() body: UploadFinalizeRequest,
    @RequestUserNote() noteUser: UserNote,
  ): Promise<{ linked: boolean }> {
    return this.transfers.finalizeUpload(body, noteUser);
  }

  @Post('transfer-tokens/key')
  @HttpCode(200)
  @Header('Content-Type', INTERNAL_AUTHORIZE_MEDIA_TYPE)
  transferKey(): TransferKeyAnswer {
    return this.transfers.transferKey();
  }

  @Post('downloads/authorize')
  @HttpCode(200)
  @Header('Content-Type', INTERNAL_AUTHORIZE_MEDIA_TYPE)
  authorizeDownload(
    @Body() body: Omit<TransferAuthorizeRequest, 'size'>,
    @RequestUserNote() noteUser: UserNote,
  ): Promise<DownloadAuthorization> {
    return this.transfers.authorizeDownload(body, noteUser);
  }

  @Post('downloads/check')
  @HttpCode(200)
  @Header('Content-Type', INTERNAL_AUTHORIZE_MEDIA_TYPE)
  checkDownloads(
    @Body() body: DownloadCheckRequest,
    @RequestUserNote() noteUser: UserNote,
  ): Promise<DownloadCheckAnswer> {
    return this.transfers.checkDownloads(body, noteUser);
  }
}
