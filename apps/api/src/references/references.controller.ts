import type { IncomingMessage } from 'node:http';

import { Controller, Get, HttpCode, Param, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ReferencesView } from '@lfs-depot/contracts';

import { AdminGuard, PlatformRoute } from '../auth/admin.guard.js';
import { ReferencesService } from './references.service.js';

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
  replaceReferences(@Param('path') path: string, @Req() req: IncomingMessage): Promise<ReferencesView> {
    return this.references.replaceReferences(path, req);
  }

  @Get()
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  getReferences(@Param('path') path: string): Promise<ReferencesView> {
    return this.references.getReferences(path);
  }
}
