import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { BasicStrategy } from 'passport-http';

import { AuthService } from './auth.service.js';
import type { Principal } from './principal.js';

/** HTTP Basic for LFS routes: username with a password or an access token (git-lfs's credential helper sends it). */
@Injectable()
export class BasicAuthStrategy extends PassportStrategy(BasicStrategy, 'basic') {
  constructor(private readonly auth: AuthService) {
    super({ passReqToCallback: true });
  }

  async validate(req: Request, username: string, secret: string): Promise<Principal | false> {
    return (await this.auth.authenticateBasic(username, secret, req.ip ?? 'unknown')) ?? false;
  }
}
