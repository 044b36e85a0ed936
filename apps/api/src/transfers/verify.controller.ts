import { Body, Controller, Header, Headers, HttpCode, Ip, Post, Query, UseGuards } from '@nestjs/common';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import type { UserNote } from '../core/principal.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { LfsMediaTypeGuard } from '../http/lfs-media-type.guard.js';
import { ApiExcludeController } from '../http/openapi.decorator.js';
import { ProjectPath } from '../http/project-path.decorator.js';
import { Public } from '../http/public.decorator.js';
import { RequestUserNote } from '../http/request-log.js';
import { TransfersService } from './transfers.service.js';

/** The batch API's verify action; credentials are checked by the service, like on transfers. */
@ApiExcludeController()
@Public()
@UseGuards(LfsMediaTypeGuard)
@JsonBody(BODY_LIMITS.verify)
@Controller()
export class VerifyController {
  constructor(private readonly transfers: TransfersService) {}

  @Post('*project/info/lfs/objects/verify')
  @HttpCode(200)
  @Header('Content-Type', LFS_MEDIA_TYPE)
  async verify(
    @Headers('authorization') authorization: string | undefined,
    @Ip() client: string,
    @ProjectPath() project: string,
    @Body() body: unknown,
    @Query('staged') staged: unknown,
    @RequestUserNote() noteUser: UserNote,
  ): Promise<Record<string, never>> {
    // A repeated parameter arrives as an array: no ticket of ours, refused as one.
    await this.transfers.verifyObject(
      authorization,
      client,
      project,
      body,
      staged === undefined ? undefined : typeof staged === 'string' ? staged : '',
      noteUser,
    );
    return {};
  }
}
