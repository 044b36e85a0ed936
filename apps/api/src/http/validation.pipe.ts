import type { ValidationError } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

/**
 * Every constraint message, those of nested objects naming the property by its full path (`owner.name must be a
 * string`, `property owner.admin should not exist`): class-validator words them with the nested property alone.
 */
function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) => withPath(message, prefix, error.property)),
    ...describe(error.children ?? [], `${prefix}${error.property}.`),
  ]);
}

function withPath(message: string, prefix: string, property: string): string {
  if (prefix === '') {
    return message;
  }
  const at = message.search(new RegExp(`(?<![\\w.])${escapeRegExp(property)}(?![\\w])`));
  return at === -1
    ? `${prefix}${property}: ${message}`
    : `${message.slice(0, at)}${prefix}${message.slice(at)}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** DTO validation that rejects unknown fields and reports every problem in one 422. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) =>
      new DomainError(ErrorCode.VALIDATION_FAILED, describe(errors).join('; ') || 'Invalid request body'),
  });
}
