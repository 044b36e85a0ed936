import { describe, expect, it } from '@jest/globals';

import { InFlightLimiter } from './in-flight-limiter.js';

describe(InFlightLimiter.name, () => {
  describe('tryAcquire', () => {
    it('refuses a client at its own limit while others still get in', () => {
      const limiter = new InFlightLimiter({ total: 10, perClient: 2 });
      expect(limiter.tryAcquire('a')).toBeInstanceOf(Function);
      expect(limiter.tryAcquire('a')).toBeInstanceOf(Function);

      expect(limiter.tryAcquire('a')).toBeUndefined();
      expect(limiter.tryAcquire('b')).toBeInstanceOf(Function);
      expect(limiter.inFlight).toBe(3);
    });

    it('refuses everyone once the total is reached', () => {
      const limiter = new InFlightLimiter({ total: 2, perClient: 2 });
      limiter.tryAcquire('a');
      limiter.tryAcquire('b');

      expect(limiter.tryAcquire('c')).toBeUndefined();
    });

    it('gives a place back once, however often its release is called', () => {
      const limiter = new InFlightLimiter({ total: 2, perClient: 1 });
      const release = limiter.tryAcquire('a');
      limiter.tryAcquire('b');
      release?.();
      release?.();

      expect(limiter.inFlight).toBe(1);
      expect(limiter.inFlightFor('a')).toBe(0);
      expect(limiter.inFlightFor('b')).toBe(1);
      expect(limiter.tryAcquire('a')).toBeInstanceOf(Function);
      expect(limiter.tryAcquire('c')).toBeUndefined();
    });
  });

  it('refuses limits below one', () => {
    expect(() => new InFlightLimiter({ total: 0, perClient: 1 })).toThrow(
      'In-flight limit total must be a positive integer, not 0',
    );
  });
});
