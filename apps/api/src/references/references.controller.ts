import type { IncomingMessage } from 'node:http';

import { Controller, Get, HttpCode, Param, Put, Req, UseGuards } from '@nestjs/common';
import type { ReferencesView } from '@lfs-depot/contracts';

import { AdminGuard, PlatformRoute } from '../auth/admin.guard.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { ApiBearerAuth, ApiConsumes, ApiOkResponse, ApiParam, ApiTags } from '../http/openapi.decorator.js';
import { ReferencesService } from './references.service.js';
import { ReferencesSchema } from './references.views.js';

/**
 * `PUT /api/v1/projects/{path}/references`: the complete set of LFS pointers the project's refs reach, as NDJSON
 * `{"oid":…,"size":…}` lines (lfs-depot references sync sends it). Read as a stream, after the guard, by the
 * service: no @JsonBody, since the body may hold millions of lines.
 */
@ApiTags('references')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@PlatformRoute()
@Controller('api/v1/projects/:path/references')
export class ReferencesController {
  constructor(private readonly references: ReferencesService) {}

  @Put()
  @HttpCode(200)
  @ApiConsumes('application/x-ndjson')
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  @ApiOkResponse({ type: ReferencesSchema })
  @ApiErrors('PROJECT_NOT_FOUND', 'VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE')
  replaceReferences(@Param('path') path: string, @Req() req: IncomingMessage): Promise<ReferencesView> {
    return this.references.replaceReferences(path, req);
  }

  @Get()
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  @ApiOkResponse({ type: ReferencesSchema })
  @ApiErrors('PROJECT_NOT_FOUND', 'OBJECT_NOT_FOUND')
  getReferences(@Param('path') path: string): Promise<ReferencesView> {
    return this.references.getReferences(path);
  }
}
