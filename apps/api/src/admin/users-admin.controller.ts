import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import type { CreatedTokenView, TokenPageView, UserPageView, UserView } from '@lfs-depot/contracts';

import { Audited } from '../audit/audit-context.decorator.js';
import type { AuditContext } from '../audit/audit-context.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { ApiErrors, BODY_ERRORS } from '../http/api-errors.decorator.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '../http/openapi.decorator.js';
import {
  CreateTokenDto,
  CreateUserDto,
  ListUsersQueryDto,
  PageQueryDto,
  SetPasswordDto,
} from './admin.dto.js';
import { CreatedTokenSchema, TokenPageSchema, UserPageSchema, UserSchema } from './admin.views.js';
import { UsersAdminService } from './users-admin.service.js';

@ApiTags('users')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/users')
export class UsersAdminController {
  constructor(private readonly users: UsersAdminService) {}

  @Post()
  @ApiCreatedResponse({ type: UserSchema })
  @ApiErrors(...BODY_ERRORS, 'ALREADY_EXISTS')
  createUser(@Audited() audit: AuditContext, @Body() body: CreateUserDto): Promise<UserView> {
    return this.users.createUser(audit, body);
  }

  @Get()
  @ApiOkResponse({ type: UserPageSchema })
  @ApiErrors('VALIDATION_FAILED')
  listUsers(@Query() query: ListUsersQueryDto): Promise<UserPageView> {
    return this.users.listUsers(query);
  }

  @Get(':username')
  @ApiOkResponse({ type: UserSchema })
  @ApiErrors('USER_NOT_FOUND')
  getUser(@Param('username') username: string): Promise<UserView> {
    return this.users.getUser(username);
  }

  @Delete(':username')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its tokens, memberships and locks' })
  @ApiErrors('USER_NOT_FOUND')
  deleteUser(@Audited() audit: AuditContext, @Param('username') username: string): Promise<void> {
    return this.users.deleteUser(audit, username);
  }

  @Put(':username/password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Changed; sign-ins with the old password stop at once' })
  @ApiErrors(...BODY_ERRORS, 'USER_NOT_FOUND')
  setPassword(
    @Audited() audit: AuditContext,
    @Param('username') username: string,
    @Body() body: SetPasswordDto,
  ): Promise<void> {
    return this.users.setPassword(audit, username, body.password);
  }

  @Post(':username/tokens')
  @ApiCreatedResponse({ type: CreatedTokenSchema })
  @ApiErrors(...BODY_ERRORS, 'USER_NOT_FOUND')
  createToken(
    @Audited() audit: AuditContext,
    @Param('username') username: string,
    @Body() body: CreateTokenDto,
  ): Promise<CreatedTokenView> {
    return this.users.createToken(audit, username, body);
  }

  @Get(':username/tokens')
  @ApiOkResponse({ type: TokenPageSchema })
  @ApiErrors('USER_NOT_FOUND', 'VALIDATION_FAILED')
  listTokens(@Param('username') username: string, @Query() query: PageQueryDto): Promise<TokenPageView> {
    return this.users.listTokens(username, query);
  }

  @Delete(':username/tokens/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: the token and transfer tokens minted from it stop working' })
  @ApiErrors('USER_NOT_FOUND', 'TOKEN_NOT_FOUND')
  revokeToken(
    @Audited() audit: AuditContext,
    @Param('username') username: string,
    @Param('id') id: string,
  ): Promise<void> {
    return this.users.revokeToken(audit, username, id);
  }
}
