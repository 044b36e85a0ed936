import type { ArgumentMetadata } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { DomainError } from '@lfs-depot/contracts';
import { plausibleOrAnyJson, shapedJson } from '@lfs-depot/testing';
import fc from 'fast-check';

import {
  CreateProjectDto,
  CreateTokenDto,
  CreateUserDto,
  ListProjectObjectsQueryDto,
  SetMemberDto,
  UpdateProjectDto,
} from './admin/admin.dto.js';
import { parseBatchRequest } from './batch/batch-request.parser.js';
import {
  parseCreateLockRequest,
  parseListLocksQuery,
  parseUnlockRequest,
  parseVerifyLocksRequest,
} from './locks/locks-request.parser.js';
import { LfsAuthenticateDto } from './platform/lfs-authenticate.dto.js';
import { parsePushCheckRequest } from './push-check/push-check-request.parser.js';
import { createValidationPipe } from './http/validation.pipe.js';

/**
 * Property: whatever JSON a client sends, in whatever field, a request parser either returns fields of the types it
 * promises or throws our DomainError (a 4xx), never a TypeError or anything else that would be a 500.
 */

/** Either a plausible value for a field or any JSON at all, so that parsers get past their first checks. */
const either = (plausible: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => plausibleOrAnyJson(plausible, 2);

const oid = fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.constant('a'.repeat(64)));
const size = fc.oneof(fc.nat(), fc.constant(0));
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('a', 'a/b', './a', '/a', 'a\\b', 'b/../a', 'team/info/lfs/x', 'x\u0000y'),
);
const ref = shapedJson({ name: either(text) });

const batchBody = shapedJson({
  operation: either(fc.constantFrom('upload', 'download')),
  objects: either(fc.array(shapedJson({ oid: either(oid), size: either(size) }), { maxLength: 4 })),
  hash_algo: either(fc.constant('sha256')),
  transfers: either(fc.array(fc.constantFrom('basic', 'ssh'), { maxLength: 2 })),
  ref,
});
const lockBody = shapedJson({
  path: either(text),
  ref,
  cursor: either(fc.oneof(fc.nat().map(String), text)),
  limit: either(fc.nat()),
  force: either(fc.boolean()),
});
const pushCheckBody = shapedJson({
  username: either(text),
  changes: either(
    fc.array(
      shapedJson({
        ref: either(text),
        paths: either(fc.array(either(text), { maxLength: 3 })),
        pointers: either(
          fc.array(shapedJson({ oid: either(oid), size: either(size), paths: either(fc.array(text)) }), {
            maxLength: 3,
          }),
        ),
      }),
      { maxLength: 3 },
    ),
  ),
});
const adminBody = shapedJson({
  username: either(text),
  password: either(text),
  admin: either(fc.boolean()),
  name: either(text),
  expires_at: either(fc.constantFrom('2030-01-01T00:00:00Z', 'tomorrow')),
  path: either(text),
  visibility: either(fc.constantFrom('public', 'private')),
  quota_bytes: either(fc.oneof(fc.nat(), fc.constant(null))),
  role: either(fc.constantFrom('read', 'write', 'maintainer')),
  operation: either(fc.constantFrom('upload', 'download')),
  limit: either(fc.nat().map(String)),
  cursor: either(oid),
});

/** Query strings as Express parses them: strings, repeated keys as arrays, `a[b]=c` as objects. */
const query: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.constantFrom('path', 'id', 'cursor', 'limit', 'refspec', '__proto__', 'toString'),
  fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string())),
);

const RUNS = { numRuns: 2000 };

function outcome(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof DomainError)) {
      throw error;
    }
    return error;
  }
}

/** PostgreSQL text refuses NUL; a parser's strings must be storable as they are. */
function expectStorable(value: string): void {
  expect(typeof value).toBe('string');
  expect(value.includes('\0')).toBe(false);
}

describe('request parsers, given any JSON in any field', () => {
  it('parseBatchRequest returns string-or-absent oids and number-or-absent sizes, or throws a DomainError', () => {
    fc.assert(
      fc.property(batchBody, (value) => {
        const parsed = outcome(() => parseBatchRequest(value, 1000));
        if (!(parsed instanceof DomainError)) {
          const request = parsed as ReturnType<typeof parseBatchRequest>;
          for (const object of request.objects) {
            expect(['string', 'undefined']).toContain(typeof object.oid);
            expect(['number', 'undefined']).toContain(typeof object.size);
          }
        }
      }),
      RUNS,
    );
  });

  it('the lock parsers return storable strings, or throw a DomainError', () => {
    fc.assert(
      fc.property(lockBody, query, (value, params) => {
        const created = outcome(() => parseCreateLockRequest(value));
        if (!(created instanceof DomainError)) {
          const request = created as ReturnType<typeof parseCreateLockRequest>;
          expectStorable(request.path);
          if (request.refName !== null) {
            expectStorable(request.refName);
          }
        }
        const listed = outcome(() => parseListLocksQuery(params));
        if (!(listed instanceof DomainError)) {
          const request = listed as ReturnType<typeof parseListLocksQuery>;
          if (request.path !== null) {
            expectStorable(request.path);
          }
          expect(Number.isSafeInteger(request.limit)).toBe(true);
        }
        outcome(() => parseVerifyLocksRequest(value));
        outcome(() => parseUnlockRequest(value));
      }),
      RUNS,
    );
  });

  it('parsePushCheckRequest returns storable strings, or throws a DomainError', () => {
    fc.assert(
      fc.property(pushCheckBody, (value) => {
        const parsed = outcome(() => parsePushCheckRequest(value));
        if (!(parsed instanceof DomainError)) {
          const request = parsed as ReturnType<typeof parsePushCheckRequest>;
          expectStorable(request.username);
          for (const change of request.changes) {
            expectStorable(change.ref);
            change.paths.forEach(expectStorable);
          }
        }
      }),
      RUNS,
    );
  });

  it.each([
    ['body', CreateUserDto],
    ['body', CreateTokenDto],
    ['body', CreateProjectDto],
    ['body', UpdateProjectDto],
    ['body', SetMemberDto],
    ['body', LfsAuthenticateDto],
    ['query', ListProjectObjectsQueryDto],
  ] as const)(
    'the validation pipe for a %s of %p returns a DTO or throws a DomainError',
    async (type, metatype) => {
      const pipe = createValidationPipe();
      const metadata: ArgumentMetadata = { type, metatype };
      await fc.assert(
        fc.asyncProperty(adminBody, async (value) => {
          try {
            const dto = (await pipe.transform(value, metadata)) as Record<string, unknown>;
            for (const field of Object.values(dto)) {
              if (typeof field === 'string') {
                expectStorable(field);
              }
            }
          } catch (error) {
            if (!(error instanceof DomainError)) {
              throw error;
            }
          }
        }),
        { numRuns: 500 },
      );
    },
  );
});
