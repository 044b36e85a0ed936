import 'reflect-metadata';

import { describe, expect, it } from '@jest/globals';
import * as swagger from '@nestjs/swagger';

import * as standIn from './openapi.decorator.js';

/** `value` with each class or function replaced by its name: each set of decorators has classes of its own. */
function byName(value: unknown): unknown {
  if (typeof value === 'function') {
    return `function ${value.name}`;
  }
  if (Array.isArray(value)) {
    return value.map(byName);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, byName(inner)]));
  }
  return value;
}

/** Every swagger metadata entry of a decorated class: on the class, its prototype's properties and its methods. */
function swaggerMetadata(cls: { prototype: object }): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  const collect = (where: string, target: object, key?: string) => {
    for (const name of Reflect.getMetadataKeys(target, key as string)) {
      if (String(name).startsWith('swagger/')) {
        found[`${where} ${String(name)}`] = byName(Reflect.getMetadata(name, target, key as string));
      }
    }
  };
  collect('class', cls);
  for (const key of Object.getOwnPropertyNames(cls.prototype)) {
    collect(`property ${key}`, cls.prototype, key);
    const value: unknown = Object.getOwnPropertyDescriptor(cls.prototype, key)?.value;
    if (typeof value === 'function' && key !== 'constructor') {
      collect(`method ${key}`, value);
    }
  }
  collect('prototype', cls.prototype);
  return found;
}

/** A view, a parameter and a controller decorated with one set of decorators, stand-ins or swagger's own. */
function decorated(api: typeof swagger | typeof standIn) {
  const roles = ['read', 'write'] as const;

  class ItemView {
    @api.ApiProperty({ example: 'alice' })
    name!: string;

    @api.ApiPropertyOptional({ enum: roles, isArray: true })
    roles?: string[];

    @api.ApiProperty({ type: 'integer', minimum: 0 })
    size!: number;
  }

  class PageView {
    @api.ApiProperty({ type: [ItemView] })
    items!: ItemView[];
  }

  @api.ApiTags('items')
  @api.ApiBearerAuth()
  class ItemsController {
    // Two answers with one status: swagger merges their descriptions in the order they are applied.
    @api.ApiOkResponse({ type: PageView, description: 'first' })
    @api.ApiResponse({ status: 200, description: 'second' })
    @api.ApiCreatedResponse({ type: ItemView })
    @api.ApiParam({ name: 'path', example: 'games/engine' })
    @api.ApiConsumes('application/x-ndjson')
    list(): void {}

    @api.ApiNoContentResponse()
    @api.ApiAcceptedResponse({ type: ItemView })
    remove(): void {}
  }

  @api.ApiExcludeController()
  class HiddenController {}

  return { ItemView, PageView, ItemsController, HiddenController };
}

describe('openapi.decorator', () => {
  describe('applyOpenApiDecorators', () => {
    it('leaves no metadata until applied, then exactly what swagger’s own decorators leave', () => {
      const deferred = decorated(standIn);
      const direct = decorated(swagger);
      const names = Object.keys(direct) as (keyof typeof direct)[];
      expect(names.map((name) => swaggerMetadata(deferred[name]))).toEqual(names.map(() => ({})));

      standIn.applyOpenApiDecorators(swagger);

      for (const name of names) {
        expect(Object.keys(swaggerMetadata(direct[name])).length).toBeGreaterThan(0);
        expect(swaggerMetadata(deferred[name])).toEqual(swaggerMetadata(direct[name]));
      }
    });

    it('applies decorators met after the document was built straight away, and replays nothing twice', () => {
      standIn.applyOpenApiDecorators(swagger);
      const deferred = decorated(standIn);
      standIn.applyOpenApiDecorators(swagger);
      const direct = decorated(swagger);

      expect(swaggerMetadata(deferred.ItemsController)).toEqual(swaggerMetadata(direct.ItemsController));
      expect(swaggerMetadata(deferred.ItemView)).toEqual(swaggerMetadata(direct.ItemView));
    });
  });
});
