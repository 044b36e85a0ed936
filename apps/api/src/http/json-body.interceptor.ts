import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Config } from '@lfs-depot/config';
import type { Observable } from 'rxjs';

import { CONFIG } from '../core/api-runtime.js';
import type { LfsRequest } from './request-context.js';
import { bodyWasRead, readJsonBody } from './json-body.js';

const JSON_BODY_LIMIT = 'lfs-depot:json-body-limit';

type BodyLimit = number | ((config: Config) => number);

/**
 * Marks a controller or route as taking a JSON body of at most `limit` bytes. Routes without it never read a body.
 * The body is read by JsonBodyInterceptor, which Nest runs after every guard: a request its guards refuse is answered
 * without its body being read.
 */
export const JsonBody = (limit: BodyLimit): MethodDecorator & ClassDecorator =>
  SetMetadata(JSON_BODY_LIMIT, limit);

/** Reads the JSON body of routes marked with @JsonBody, after their guards and before their pipes and handler. */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const limit = this.reflector.getAllAndOverride<BodyLimit | undefined>(JSON_BODY_LIMIT, [
      context.getHandler(),
      context.getClass(),
    ]);
    const req = context.switchToHttp().getRequest<LfsRequest>();
    if (limit !== undefined && !bodyWasRead(req)) {
      await readJsonBody(req, typeof limit === 'number' ? limit : limit(this.config));
    }
    return next.handle();
  }
}
