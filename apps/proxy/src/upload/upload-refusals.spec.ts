import { describe, expect, it } from '@jest/globals';
import type { ErrorCode } from '@lfs-depot/contracts';

import type { ApiAnswer } from '../api-client/api.client.js';
import {
  MAX_REFUSAL_ENTRIES,
  OBJECT_REFUSAL_MS,
  PROJECT_REFUSAL_MS,
  refusalScopes,
  UploadRefusals,
} from './upload-refusals.js';

const start = Date.UTC(2026, 11, 1, 12, 0, 0);

function refusal(status: number, code?: ErrorCode): ApiAnswer {
  return {
    status,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ message: 'refused', ...(code === undefined ? {} : { code }) }),
  };
}

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

const upload = {
  project: 'team/main',
  oid: 'a'.repeat(64),
  token: 'lfsx_token-one',
  tokenExpiresAt: start / 1000 + 3600,
};

describe(UploadRefusals.name, () => {
  describe('refusalScopes', () => {
    it('returns the token for a revoked token or a role that no longer writes', () => {
      expect(refusalScopes(refusal(401, 'UNAUTHENTICATED'))).toEqual(['token']);
      expect(refusalScopes(refusal(403, 'FORBIDDEN'))).toEqual(['token']);
    });

    it('returns only the token when the project is gone or hidden from a former member, which look alike', () => {
      expect(refusalScopes(refusal(404, 'PROJECT_NOT_FOUND'))).toEqual(['token']);
    });

    it('returns the project for its quota, and the object for bytes being purged', () => {
      expect(refusalScopes(refusal(507, 'QUOTA_EXCEEDED'))).toEqual(['project']);
      expect(refusalScopes(refusal(503, 'SERVICE_UNAVAILABLE'))).toEqual(['object']);
    });

    it('returns nothing for refusals that say nothing about the next upload, or answers that are not JSON', () => {
      expect(refusalScopes(refusal(422, 'VALIDATION_FAILED'))).toEqual([]);
      expect(refusalScopes(refusal(500, 'INTERNAL'))).toEqual([]);
      expect(refusalScopes({ status: 507, contentType: 'text/html', body: '<html>' })).toEqual([]);
    });
  });

  describe('mustAuthorize', () => {
    it('returns true for the refused token until it expires, and not for another token', () => {
      const clock = manualClock();
      const refusals = new UploadRefusals(clock.now);
      refusals.learn(upload, refusal(401, 'UNAUTHENTICATED'));
      const other = { project: 'team/other', oid: 'b'.repeat(64) };
      expect(refusals.mustAuthorize({ ...other, token: upload.token })).toBe(true);
      expect(refusals.mustAuthorize({ ...other, token: 'lfsx_token-two' })).toBe(false);
      clock.advance(3600 * 1000 - 1);
      expect(refusals.mustAuthorize({ ...other, token: upload.token })).toBe(true);
      clock.advance(1);
      expect(refusals.mustAuthorize({ ...other, token: upload.token })).toBe(false);
      expect(refusals.size).toBe(0);
    });

    it('returns true for any token of a project refused for its quota, for PROJECT_REFUSAL_MS', () => {
      const clock = manualClock();
      const refusals = new UploadRefusals(clock.now);
      refusals.learn(upload, refusal(507, 'QUOTA_EXCEEDED'));
      const next = { project: upload.project, oid: 'b'.repeat(64), token: 'lfsx_token-two' };
      expect(refusals.mustAuthorize(next)).toBe(true);
      expect(refusals.mustAuthorize({ ...next, project: 'team/other' })).toBe(false);
      clock.advance(PROJECT_REFUSAL_MS);
      expect(refusals.mustAuthorize(next)).toBe(false);
    });

    it("returns true for the token of a project that is gone, and false for other members' tokens", () => {
      const refusals = new UploadRefusals(manualClock().now);
      refusals.learn(upload, refusal(404, 'PROJECT_NOT_FOUND'));
      expect(refusals.mustAuthorize({ project: 'team/other', oid: upload.oid, token: upload.token })).toBe(
        true,
      );
      // A removed member's refusal must not send every other member's uploads the long way.
      expect(refusals.mustAuthorize({ project: upload.project, oid: upload.oid, token: 'lfsx_two' })).toBe(
        false,
      );
    });

    it('returns true for any upload of an object whose bytes were being purged, for OBJECT_REFUSAL_MS', () => {
      const clock = manualClock();
      const refusals = new UploadRefusals(clock.now);
      refusals.learn(upload, refusal(503, 'SERVICE_UNAVAILABLE'));
      const elsewhere = { project: 'team/other', oid: upload.oid, token: 'lfsx_token-two' };
      expect(refusals.mustAuthorize(elsewhere)).toBe(true);
      expect(refusals.mustAuthorize({ ...elsewhere, oid: 'b'.repeat(64) })).toBe(false);
      clock.advance(OBJECT_REFUSAL_MS - 1);
      expect(refusals.mustAuthorize(elsewhere)).toBe(true);
      clock.advance(1);
      expect(refusals.mustAuthorize(elsewhere)).toBe(false);
    });

    it('returns false after a refusal that says nothing about the next upload', () => {
      const refusals = new UploadRefusals(manualClock().now);
      expect(refusals.learn(upload, refusal(422, 'VALIDATION_FAILED'))).toEqual([]);
      expect(refusals.mustAuthorize(upload)).toBe(false);
      expect(refusals.size).toBe(0);
    });

    it('returns false for a token refused after it expired: nothing to remember', () => {
      const refusals = new UploadRefusals(manualClock().now);
      refusals.learn({ ...upload, tokenExpiresAt: start / 1000 }, refusal(401, 'UNAUTHENTICATED'));
      expect(refusals.size).toBe(0);
      expect(refusals.mustAuthorize(upload)).toBe(false);
    });
  });

  describe('learn', () => {
    it('keeps at most its cap of refusals, forgetting the oldest first', () => {
      const refusals = new UploadRefusals(manualClock().now, 3);
      for (const token of ['one', 'two', 'three', 'four']) {
        refusals.learn({ ...upload, token }, refusal(401, 'UNAUTHENTICATED'));
      }
      expect(refusals.size).toBe(3);
      expect(refusals.mustAuthorize({ ...upload, token: 'one' })).toBe(false);
      expect(refusals.mustAuthorize({ ...upload, token: 'two' })).toBe(true);
      expect(refusals.mustAuthorize({ ...upload, token: 'four' })).toBe(true);
    });

    it('moves a refusal learnt again to the newest place', () => {
      const refusals = new UploadRefusals(manualClock().now, 2);
      refusals.learn({ ...upload, token: 'one' }, refusal(401, 'UNAUTHENTICATED'));
      refusals.learn({ ...upload, token: 'two' }, refusal(401, 'UNAUTHENTICATED'));
      refusals.learn({ ...upload, token: 'one' }, refusal(401, 'UNAUTHENTICATED'));
      refusals.learn({ ...upload, token: 'three' }, refusal(401, 'UNAUTHENTICATED'));
      expect(refusals.mustAuthorize({ ...upload, token: 'one' })).toBe(true);
      expect(refusals.mustAuthorize({ ...upload, token: 'two' })).toBe(false);
    });

    it('is capped at MAX_REFUSAL_ENTRIES by default', () => {
      const refusals = new UploadRefusals(manualClock().now);
      for (let index = 0; index <= MAX_REFUSAL_ENTRIES; index += 1) {
        refusals.learn({ ...upload, token: `token-${index}` }, refusal(401, 'UNAUTHENTICATED'));
      }
      expect(refusals.size).toBe(MAX_REFUSAL_ENTRIES);
    });
  });
});
