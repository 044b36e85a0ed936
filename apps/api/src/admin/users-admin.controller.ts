import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { CreatedTokenView, TokenView, UserView } from '@lfs-depot/contracts';

import { AdminGuard } from '../auth/admin.guard.js';
import { BODY_LIMITS } from '../http/json-body.js';
import { JsonBody } from '../http/json-body.interceptor.js';
import { CreateTokenDto, CreateUserDto } from './admin.dto.js';
import { UsersAdminService } from './users-admin.service.js';

@ApiTags('users')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@JsonBody(BODY_LIMITS.admin)
@Controller('api/v1/users')
export class UsersAdminController {
  constructor(private readonly users: UsersAdminService) {}

  @Post()
  createUser(@Body() body: CreateUserDto): Promise<UserView> {
    return this.users.createUser(body);
  }

  @Get(':username')
  getUser(@Param('username') username: string): Promise<UserView> {
    return this.users.getUser(username);
  }

  @Delete(':username')
  @HttpCode(204)
  deleteUser(@Param('username') username: string): Promise<void> {
    return this.users.deleteUser(username);
  }

  @Post(':username/tokens')
  createToken(@Param('username') username: string, @Body() body: CreateTokenDto): Promise<CreatedTokenView> {
    return this.users.createToken(username, body);
  }

  @Get(':username/tokens')
  listTokens(@Param('username') username: string): Promise<TokenView[]> {
    return this.users.listTokens(username);
  }

  @Delete(':username/tokens/:id')
  @HttpCode(204)
  revokeToken(@Param('username') username: string, @Param('id') id: string): Promise<void> {
    return this.users.revokeToken(username, id);
  }
}
