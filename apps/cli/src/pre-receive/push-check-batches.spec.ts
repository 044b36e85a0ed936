import { describe, expect, it } from '@jest/globals';
import type { PushCheckResponse } from '@lfs-depot/contracts';

import { mergeAnswers, splitIntoCalls } from './push-check-batches.js';

const pointer = (n: number) => ({ oid: String(n).padStart(64, '0'), size: n, paths: [`f${n}`] });

describe('push check batches', () => {
  describe(splitIntoCalls.name, () => {
    it('returns no call when no ref has anything to check', () => {
      expect(splitIntoCalls([{ ref: 'refs/heads/main', paths: [], pointers: [] }])).toEqual([]);
    });

    it('keeps small pushes in one call', () => {
      const changes = [
        { ref: 'a', paths: ['x'], pointers: [pointer(1)] },
        { ref: 'b', paths: ['y'], pointers: [] },
      ];
      expect(splitIntoCalls(changes)).toEqual([changes]);
    });

    it('cuts refs and their paths and pointers so that no call exceeds the limits', () => {
      const calls = splitIntoCalls(
        [
          { ref: 'a', paths: ['1', '2', '3'], pointers: [pointer(1)] },
          { ref: 'b', paths: ['4'], pointers: [pointer(2), pointer(3), pointer(4)] },
        ],
        2,
        2,
      );
      for (const call of calls) {
        expect(call.flatMap((change) => change.paths).length).toBeLessThanOrEqual(2);
        expect(call.flatMap((change) => change.pointers).length).toBeLessThanOrEqual(2);
      }
      const flat = calls.flat();
      expect(flat.filter((c) => c.ref === 'a').flatMap((c) => c.paths)).toEqual(['1', '2', '3']);
      expect(flat.filter((c) => c.ref === 'b').flatMap((c) => c.paths)).toEqual(['4']);
      expect(flat.flatMap((c) => c.pointers)).toEqual([pointer(1), pointer(2), pointer(3), pointer(4)]);
    });
  });

  describe(mergeAnswers.name, () => {
    it('refuses when any answer refuses and merges the paths of a repeated object', () => {
      const oid = 'f'.repeat(64);
      const lock = {
        path: 'x',
        ref: 'a',
        owner: 'alice',
        lock_id: '1',
        locked_at: '2025-01-01T00:00:00.000Z',
      };
      expect(
        mergeAnswers([
          { allowed: true, locked: [], missing: [], damaged: [] },
          { allowed: false, locked: [lock], missing: [{ oid, size: 1, paths: ['p'] }], damaged: [] },
          {
            allowed: false,
            locked: [],
            missing: [{ oid, size: 1, paths: ['q'] }],
            damaged: [{ oid, size: 2, paths: ['r'] }],
          },
          { allowed: false, locked: [], missing: [], damaged: [{ oid, size: 2 }] },
        ]),
      ).toEqual({
        allowed: false,
        locked: [lock],
        missing: [{ oid, size: 1, paths: ['p', 'q'] }],
        damaged: [{ oid, size: 2, paths: ['r'] }],
      });
    });

    it('takes an answer without a damaged list (an older server) as naming none', () => {
      const older = { allowed: true, locked: [], missing: [] } as unknown as PushCheckResponse;
      expect(mergeAnswers([older])).toEqual({ allowed: true, locked: [], missing: [], damaged: [] });
    });
  });
});
