import { applyDecorators } from '@nestjs/common';
import { ERROR_CODES, statusForErrorCode } from '@lfs-depot/contracts';
import type { ErrorBody, ErrorCode } from '@lfs-depot/contracts';

import { ApiProperty, ApiPropertyOptional, ApiResponse } from './openapi.decorator.js';

/** The error body every route answers with (contracts' ErrorBody), as the OpenAPI document describes it. */
export class ErrorBodySchema implements ErrorBody {
  [extra: string]: unknown;

  @ApiProperty({ example: "Project 'games/engine' not found" })
  message!: string;

  @ApiProperty({ enum: ERROR_CODES, description: 'Stable code; each has one status (lfs-errors.ts)' })
  code!: ErrorCode;

  @ApiProperty({ description: 'Echoed in X-Request-Id' })
  request_id!: string;

  @ApiPropertyOptional({ description: 'On LFS routes only' })
  documentation_url?: string;

  @ApiPropertyOptional({ description: 'With 429 and 503 answers', type: 'integer' })
  retry_after_seconds?: number;
}

/** What every admin route can answer besides its own errors: no or a bad token, a platform token, throttling. */
const ADMIN_ROUTE_ERRORS: readonly ErrorCode[] = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
];

/** What a route with a JSON body can answer besides: unparseable JSON, a body over its limit, another media type. */
export const BODY_ERRORS: readonly ErrorCode[] = [
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'VALIDATION_FAILED',
];

/**
 * Documents the error answers of an admin route: the route's own codes and those every admin route shares, one
 * response per status listing the codes it carries.
 */
export function ApiErrors(...codes: readonly ErrorCode[]): ReturnType<typeof applyDecorators> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ...ADMIN_ROUTE_ERRORS]) {
    const status = statusForErrorCode(code);
    const known = byStatus.get(status) ?? [];
    if (!known.includes(code)) {
      known.push(code);
    }
    byStatus.set(status, known);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, statusCodes]) =>
      ApiResponse({ status, type: ErrorBodySchema, description: statusCodes.join(', ') }),
    ),
  );
}
