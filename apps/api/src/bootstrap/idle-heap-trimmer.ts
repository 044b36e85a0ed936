import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';

// Start-up (Nest, TypeORM, the migrations) allocates fast enough that V8 grows the young generation to its maximum
// and leaves the garbage of loading in the old one, and an idle API allocates too little to ever collect again:
// it stayed at its start-up size, 130 MiB resident. V8 gives the young generation back only in a collection that
// sees a low allocation rate over its last five seconds, so one collection once the process has been quiet for
// longer than that returns both (bench/README.md, "Idle memory"). Under load nothing is quiet and nothing runs.

/** What the trimmer observes and does; the defaults are the process's own. */
export interface IdleHeapTrimmerOptions {
  /** A full collection (`globalThis.gc` under `--expose-gc`). */
  readonly gc: () => void;
  /** How often the event loop is looked at. */
  readonly intervalMs?: number;
  /** Consecutive quiet intervals before a collection: together longer than V8's five-second allocation window. */
  readonly quietIntervals?: number;
  /** Busiest share of an interval the event loop may have spent running code and still count as quiet. */
  readonly maxUtilization?: number;
  /** Young generation (new space) bytes at or under which there is nothing to give back. */
  readonly idleYoungBytes?: number;
  /** Share of the interval since the previous call the event loop was busy. */
  readonly utilization?: () => number;
  /** Bytes the young generation holds from the system now. */
  readonly youngBytes?: () => number;
}

/** At most this many times the quiet time a collection that gave nothing back makes the next one wait. */
const MAX_BACKOFF = 64;

/** Runs one full collection whenever the API has gone quiet with a grown heap, so that idle costs idle memory. */
export class IdleHeapTrimmer {
  private readonly gc: () => void;
  private readonly quietIntervals: number;
  private readonly maxUtilization: number;
  private readonly idleYoungBytes: number;
  private readonly intervalMs: number;
  private readonly utilization: () => number;
  private readonly youngBytes: () => number;
  private quiet = 0;
  private backoff = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: IdleHeapTrimmerOptions) {
    this.gc = options.gc;
    this.intervalMs = options.intervalMs ?? 3000;
    this.quietIntervals = options.quietIntervals ?? 2;
    this.maxUtilization = options.maxUtilization ?? 0.02;
    this.idleYoungBytes = options.idleYoungBytes ?? 4 * 1024 * 1024;
    this.utilization = options.utilization ?? eventLoopUtilizationSinceLastCall();
    this.youngBytes = options.youngBytes ?? newSpaceBytes;
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the event loop; returns whether it collected. */
  check(): boolean {
    if (this.utilization() > this.maxUtilization) {
      this.quiet = 0;
      return false;
    }
    // Quiet time counts from when there is something to give back: the allocation that grew it must have left
    // V8's window.
    if (this.youngBytes() <= this.idleYoungBytes) {
      this.quiet = 0;
      return false;
    }
    this.quiet += 1;
    if (this.quiet < this.quietIntervals * this.backoff) {
      return false;
    }
    this.quiet = 0;
    this.gc();
    // V8 kept the young generation (it still saw allocation): wait longer before spending another collection.
    this.backoff = this.youngBytes() > this.idleYoungBytes ? Math.min(this.backoff * 2, MAX_BACKOFF) : 1;
    return true;
  }
}

function eventLoopUtilizationSinceLastCall(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}

function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}
