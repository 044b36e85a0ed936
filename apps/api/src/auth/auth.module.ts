import { Module } from '@nestjs/common';

import { UsersRepository } from '../users/users.repository.js';
import { AdminGuard } from './admin.guard.js';
import { AuthService } from './auth.service.js';
import { BasicAuthStrategy } from './basic-auth.strategy.js';
import { InternalNonces } from './internal-nonces.js';
import { InternalSignatureGuard } from './internal-signature.guard.js';
import { LfsAuthGuard } from './lfs-auth.guard.js';
import { LoginThrottle } from './login-throttle.js';
import { MetricsGuard } from './metrics.guard.js';
import { TransferTokenService } from './transfer-token.service.js';

@Module({
  providers: [
    LoginThrottle,
    UsersRepository,
    TransferTokenService,
    AuthService,
    BasicAuthStrategy,
    LfsAuthGuard,
    AdminGuard,
    InternalNonces,
    InternalSignatureGuard,
    MetricsGuard,
  ],
  exports: [
    LoginThrottle,
    UsersRepository,
    TransferTokenService,
    AuthService,
    BasicAuthStrategy,
    LfsAuthGuard,
    AdminGuard,
    InternalNonces,
    InternalSignatureGuard,
    MetricsGuard,
  ],
})
export class AuthModule {}
