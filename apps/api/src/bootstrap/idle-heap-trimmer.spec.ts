import { describe, expect, it } from '@jest/globals';

import { IdleHeapTrimmer } from './idle-heap-trimmer.js';

const MIB = 1024 * 1024;

/** A process whose event-loop load and young generation the test sets; a collection shrinks it when `shrinks`. */
function fakeProcess(options: { young: number; shrinks: boolean }) {
  const state = { busy: 0, young: options.young, collections: 0 };
  const trimmer = new IdleHeapTrimmer({
    gc: () => {
      state.collections += 1;
      if (options.shrinks) {
        state.young = 1 * MIB;
      }
    },
    quietIntervals: 2,
    maxUtilization: 0.02,
    idleYoungBytes: 4 * MIB,
    utilization: () => state.busy,
    youngBytes: () => state.young,
  });
  const checks = (count: number) => Array.from({ length: count }, () => trimmer.check());
  return { state, checks };
}

describe(IdleHeapTrimmer.name, () => {
  describe('check', () => {
    it('collects once the process has been quiet for the given intervals with a grown young generation', () => {
      const { state, checks } = fakeProcess({ young: 16 * MIB, shrinks: true });
      expect(checks(2)).toEqual([false, true]);
      expect(state.collections).toBe(1);
    });

    it('does not collect while the event loop is busy, and counts quiet time again after it was', () => {
      const { state, checks } = fakeProcess({ young: 16 * MIB, shrinks: true });
      state.busy = 0.5;
      expect(checks(5)).toEqual([false, false, false, false, false]);
      state.busy = 0;
      checks(1);
      state.busy = 0.5;
      checks(1);
      state.busy = 0.01;
      expect(checks(2)).toEqual([false, true]);
    });

    it('does not collect when the young generation is already at its idle size', () => {
      const { state, checks } = fakeProcess({ young: 16 * MIB, shrinks: true });
      checks(2);
      expect(checks(10).some(Boolean)).toBe(false);
      state.young = 16 * MIB;
      expect(checks(2)).toEqual([false, true]);
      expect(state.collections).toBe(2);
    });

    it('waits twice as long after each collection that gave nothing back', () => {
      const { state, checks } = fakeProcess({ young: 16 * MIB, shrinks: false });
      const collectedAt = checks(30).flatMap((collected, index) => (collected ? [index + 1] : []));
      expect(collectedAt).toEqual([2, 6, 14, 30]);
      expect(state.collections).toBe(4);
    });
  });
});
