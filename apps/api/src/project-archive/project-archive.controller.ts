import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';

import { Controller, Get, HttpCode, Param, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { ProjectImportReport } from '@lfs-depot/contracts';
import { PROJECT_ARCHIVE_MEDIA_TYPE } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { Audited } from '../audit/audit-context.decorator.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { ApiBearerAuth, ApiConsumes, ApiOkResponse, ApiParam, ApiTags } from '../http/openapi.decorator.js';
import { ImportProjectQueryDto } from './project-archive.dto.js';
import { ProjectImportSchema } from './project-archive.views.js';
import { ProjectExportService } from './project-export.service.js';
import { ProjectImportService } from './project-import.service.js';

/**
 * Moving a project between servers: `GET …/export` streams the project as a tar, `PUT …/import` reads one as it
 * arrives. Admin only; the import's body is read by the service, after the guard, as a stream (no @JsonBody).
 */
@ApiTags('projects')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('api/v1/projects/:path')
export class ProjectArchiveController {
  constructor(
    private readonly exports: ProjectExportService,
    private readonly imports: ProjectImportService,
  ) {}

  @Get('export')
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  @ApiOkResponse({
    description: 'The project archive: manifest.json, then one member per object',
    content: { [PROJECT_ARCHIVE_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiErrors('PROJECT_NOT_FOUND')
  async exportProject(@Param('path') path: string, @Res() res: ServerResponse): Promise<void> {
    const { filename, archive, jobId } = await this.exports.exportProject(path);
    res.writeHead(200, {
      'content-type': PROJECT_ARCHIVE_MEDIA_TYPE,
      'content-disposition': `attachment; filename="${filename}"`,
      'x-lfs-depot-job': jobId,
    });
    // A failure after the head can only cut the answer short: the client sees a truncated tar, never a whole one.
    pipeline(archive, res, () => undefined);
  }

  @Put('import')
  @HttpCode(200)
  @ApiConsumes(PROJECT_ARCHIVE_MEDIA_TYPE)
  @ApiParam({ name: 'path', description: 'URL-encoded project path, e.g. group%2Fname' })
  @ApiOkResponse({ type: ProjectImportSchema })
  @ApiErrors(
    'VALIDATION_FAILED',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'QUOTA_EXCEEDED',
    'JOB_CANCELLED',
  )
  importProject(
    @Audited() audit: AuditContext,
    @Param('path') path: string,
    @Query() query: ImportProjectQueryDto,
    @Req() req: IncomingMessage,
  ): Promise<ProjectImportReport> {
    return this.imports.importProject(path, req, { ignoreQuota: query.ignore_quota === 'true' }, audit);
  }
}
