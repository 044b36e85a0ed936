import type * as Swagger from '@nestjs/swagger';

// Stand-ins for the @nestjs/swagger decorators our controllers, views and DTOs use. Loading @nestjs/swagger (with
// es-toolkit and js-yaml behind it, and the metadata its decorators build) costs an idle API memory that only the
// OpenAPI document needs, and the document is built on its first request (openapi-docs.ts). So each stand-in only
// notes what it was given and where it was applied; openapi-docs.ts replays every note onto the real decorator,
// in the order TypeScript applied them, before building the document: the metadata it reads is the same.
// eslint.config.mjs keeps everything else from importing @nestjs/swagger.

/** The swagger decorators this file stands in for: add one here (and below) before using it. */
type DecoratorName =
  | 'ApiAcceptedResponse'
  | 'ApiBearerAuth'
  | 'ApiConsumes'
  | 'ApiCreatedResponse'
  | 'ApiExcludeController'
  | 'ApiNoContentResponse'
  | 'ApiOkResponse'
  | 'ApiParam'
  | 'ApiProperty'
  | 'ApiPropertyOptional'
  | 'ApiResponse'
  | 'ApiTags';

/** One decorator applied: the factory's arguments and the decorator's (class, or prototype, key, descriptor). */
interface Application {
  readonly name: DecoratorName;
  readonly factoryArgs: readonly unknown[];
  readonly decoratorArgs: readonly unknown[];
}

type AnyDecoratorFactory = (...args: unknown[]) => (...args: unknown[]) => unknown;

/** Set once the document is first wanted; decorators applied after that go straight to swagger. */
let swagger: typeof Swagger | undefined;
const pending: Application[] = [];

function apply(real: typeof Swagger, { name, factoryArgs, decoratorArgs }: Application): void {
  (real[name] as unknown as AnyDecoratorFactory)(...factoryArgs)(...decoratorArgs);
}

function deferred<Name extends DecoratorName>(name: Name): (typeof Swagger)[Name] {
  const factory =
    (...factoryArgs: unknown[]) =>
    (...decoratorArgs: unknown[]): void => {
      // A method's descriptor is copied: swagger keys its metadata by the function it holds now, which a
      // decorator applied later may replace in the same descriptor object.
      const [target, key, descriptor] = decoratorArgs;
      const application: Application = {
        name,
        factoryArgs,
        decoratorArgs:
          typeof descriptor === 'object' && descriptor !== null
            ? [target, key, { ...descriptor }]
            : decoratorArgs,
      };
      if (swagger) {
        apply(swagger, application);
      } else {
        pending.push(application);
      }
    };
  return factory;
}

/** Applies every decorator noted so far onto @nestjs/swagger's own, once; later ones are applied as they come. */
export function applyOpenApiDecorators(real: typeof Swagger): void {
  swagger = real;
  for (const application of pending.splice(0)) {
    apply(real, application);
  }
}

export const ApiAcceptedResponse = deferred('ApiAcceptedResponse');
export const ApiBearerAuth = deferred('ApiBearerAuth');
export const ApiConsumes = deferred('ApiConsumes');
export const ApiCreatedResponse = deferred('ApiCreatedResponse');
export const ApiExcludeController = deferred('ApiExcludeController');
export const ApiNoContentResponse = deferred('ApiNoContentResponse');
export const ApiOkResponse = deferred('ApiOkResponse');
export const ApiParam = deferred('ApiParam');
export const ApiProperty = deferred('ApiProperty');
export const ApiPropertyOptional = deferred('ApiPropertyOptional');
export const ApiResponse = deferred('ApiResponse');
export const ApiTags = deferred('ApiTags');
