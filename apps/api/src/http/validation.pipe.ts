import type { ValidationError } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}),
    ...describe(error.children ?? [], `${prefix}${error.property}.`),
  ]);
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
