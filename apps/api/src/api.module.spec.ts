import { describe, expect, it } from '@jest/globals';
import { GUARDS_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';

import { FEATURE_MODULES, SHARED_MODULES } from './api.module.js';
import { IS_PUBLIC_KEY } from './http/public.decorator.js';

type Constructor = abstract new (...args: never[]) => unknown;

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

describe('API routes', () => {
  const controllers = [...SHARED_MODULES, ...FEATURE_MODULES].flatMap((module) => controllersOf(module));

  it('finds the controllers of every feature module', () => {
    expect(controllers.length).toBeGreaterThanOrEqual(5);
  });

  it('declares a guard or an explicit @Public() on every route', () => {
    const unguarded: string[] = [];
    for (const controller of controllers) {
      for (const [name, handler] of routeHandlers(controller)) {
        const guarded =
          (Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined)?.length ||
          (Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined)?.length;
        const isPublic =
          Reflect.getMetadata(IS_PUBLIC_KEY, controller) === true ||
          Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true;
        if (!guarded && !isPublic) {
          unguarded.push(`${controller.name}.${name}`);
        }
      }
    }
    expect(unguarded).toEqual([]);
  });
});
