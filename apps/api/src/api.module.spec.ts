import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Post, UseGuards } from '@nestjs/common';
import { GUARDS_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';

import { FEATURE_MODULES, SHARED_MODULES } from './api.module.js';
import { AdminGuard } from './auth/admin.guard.js';
import { InternalSignatureGuard } from './auth/internal-signature.guard.js';
import { LfsAuthGuard } from './auth/lfs-auth.guard.js';
import { MetricsGuard } from './auth/metrics.guard.js';
import { LfsMediaTypeGuard } from './http/lfs-media-type.guard.js';
import { IS_PUBLIC_KEY, Public } from './http/public.decorator.js';

type Constructor = abstract new (...args: never[]) => unknown;

/** The guards that establish who is calling; any other guard (the media type one) leaves a route open. */
const AUTHENTICATION_GUARDS: readonly unknown[] = [
  LfsAuthGuard,
  AdminGuard,
  InternalSignatureGuard,
  MetricsGuard,
];

function controllersOf(module: Constructor): Constructor[] {
  return (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, module) as Constructor[] | undefined) ?? [];
}

function routeHandlers(controller: Constructor): [string, object][] {
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor' && typeof prototype[name] === 'function')
    .map((name) => [name, prototype[name] as object] as [string, object])
    .filter(([, handler]) => Reflect.getMetadata(PATH_METADATA, handler) !== undefined);
}

function guardsOf(target: object): unknown[] {
  return (Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? [];
}

/** Routes that declare neither an authentication guard nor an explicit @Public(), as `Controller.method`. */
function unauthenticatedRoutes(controllers: readonly Constructor[]): string[] {
  const open: string[] = [];
  for (const controller of controllers) {
    for (const [name, handler] of routeHandlers(controller)) {
      const authenticated = [...guardsOf(controller), ...guardsOf(handler)].some((guard) =>
        AUTHENTICATION_GUARDS.includes(guard),
      );
      const isPublic =
        Reflect.getMetadata(IS_PUBLIC_KEY, controller) === true ||
        Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true;
      if (!authenticated && !isPublic) {
        open.push(`${controller.name}.${name}`);
      }
    }
  }
  return open;
}

@UseGuards(LfsMediaTypeGuard)
@Controller()
class MediaTypeOnlyController {
  @Get('fixture/open')
  open(): void {}

  @Post('fixture/public')
  @Public()
  deliberatelyOpen(): void {}

  @Post('fixture/admin')
  @UseGuards(AdminGuard)
  forAdmins(): void {}
}

describe('API routes', () => {
  const controllers = [...SHARED_MODULES, ...FEATURE_MODULES].flatMap((module) => controllersOf(module));

  it('finds the controllers of every feature and shared module', () => {
    expect(controllers.map((controller) => controller.name)).toEqual(
      expect.arrayContaining([
        'BatchController',
        'InternalTransfersController',
        'LocksController',
        'HealthController',
        'MetricsController',
        'UsersAdminController',
        'PushCheckController',
        'LfsAuthenticateController',
      ]),
    );
  });

  it('declares an authentication guard (LFS, admin or internal signature) or an explicit @Public() on every route', () => {
    expect(unauthenticatedRoutes(controllers)).toEqual([]);
  });

  it('counts a route with only a guard that authenticates no one as unauthenticated', () => {
    expect(unauthenticatedRoutes([MediaTypeOnlyController])).toEqual(['MediaTypeOnlyController.open']);
  });
});
