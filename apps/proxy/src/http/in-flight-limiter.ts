/** How many requests may be in flight at once, over all clients and from any one client address. */
export interface InFlightLimits {
  total: number;
  perClient: number;
}

/**
 * Counts requests in flight, overall and per client address, so that slow or greedy clients can hold only a bounded
 * share of what the proxy has (its forwarding connections to the API above all). A request that finds no room is
 * refused at once rather than queued: a queue would hold its socket just as long.
 */
export class InFlightLimiter {
  private total = 0;
  private readonly byClient = new Map<string, number>();

  constructor(readonly limits: InFlightLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`In-flight limit ${name} must be a positive integer, not ${String(value)}`);
      }
    }
  }

  /** Requests in flight now, over all clients. */
  get inFlight(): number {
    return this.total;
  }

  /** Requests in flight now from `client`. */
  inFlightFor(client: string): number {
    return this.byClient.get(client) ?? 0;
  }

  /**
   * Takes a place for a request of `client`: the returned function gives it back (once, however often it is called),
   * or undefined when the client or the proxy is at its limit.
   */
  tryAcquire(client: string): (() => void) | undefined {
    const mine = this.byClient.get(client) ?? 0;
    if (this.total >= this.limits.total || mine >= this.limits.perClient) {
      return undefined;
    }
    this.total += 1;
    this.byClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      this.total -= 1;
      const left = (this.byClient.get(client) ?? 1) - 1;
      if (left === 0) {
        this.byClient.delete(client);
      } else {
        this.byClient.set(client, left);
      }
    };
  }
}
