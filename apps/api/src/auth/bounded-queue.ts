/**
 * Runs at most `concurrency` tasks at once. `run` waits for a slot however long the line; `tryRun` refuses at once
 * when `maxWaiting` tasks already wait, so a flood is answered quickly instead of queueing without end.
 */
export class BoundedQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {}

  /** Tasks running plus tasks waiting. */
  get size(): number {
    return this.active + this.waiting.length;
  }

  /** Runs `task` once a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        next(); // the slot passes straight to the next task: `active` stays as it is
      } else {
        this.active -= 1;
      }
    }
  }

  /** Runs `task` once a slot is free, or returns undefined without running it when the line is full. */
  tryRun<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.active >= this.concurrency && this.waiting.length >= this.maxWaiting) {
      return undefined;
    }
    return this.run(task);
  }
}
