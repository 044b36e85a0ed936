import { Controller, Delete, HttpCode, Param, UseGuards } from '@nestjs/common';
import type { ObjectDeletionView } from '@lfs-depot/contracts';

import type { AuditContext } from '../audit/audit-context.js';
import { Audited } from '../audit/audit-context.decorator.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '../http/openapi.decorator.js';
import { ObjectDeletionSchema } from './admin.views.js';
import { ObjectDeletionService } from './object-deletion.service.js';

/** `DELETE /api/v1/objects/{oid}`: an object deleted from every project that links it, and its bytes purged. */
@ApiTags('objects')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('api/v1/objects')
export class ObjectsAdminController {
  constructor(private readonly deletion: ObjectDeletionService) {}

  @Delete(':oid')
  @HttpCode(200)
  @ApiOkResponse({ type: ObjectDeletionSchema })
  @ApiErrors('OBJECT_NOT_FOUND', 'VALIDATION_FAILED')
  deleteEverywhere(@Param('oid') oid: string, @Audited() context: AuditContext): Promise<ObjectDeletionView> {
    return this.deletion.deleteEverywhere(oid, context);
  }
}
