const MIB = 1024 * 1024;

/**
 * The memory that S3 uploads may hold in part buffers, shared by every upload of a process, and the buffers
 * themselves. An upload reserves a part's worth (rounded up to whole slabs) before it reads the bytes of that part and
 * gives it back once the part is stored, so however many uploads run, their parts never add up to more than
 * `capacity` bytes: an upload over the budget waits (its client's bytes waiting in the socket) rather than allocating.
 *
 * The bytes live in fixed-size slabs that are allocated once, on first use, and handed from one part to the next:
 * the pool never holds more than `capacity` bytes of them, and steady uploading allocates nothing, so part buffers
 * add no garbage for the collector (what made the proxy's RSS several times the bytes in flight with @aws-sdk/
 * lib-storage, which assembles each part with Buffer.concat; bench/README.md). Reserving a whole part before
 * filling it is what keeps the pool deadlock-free: an upload never holds half a part while waiting for the rest.
 */
export class PartBufferPool {
  readonly slabSize: number;
  private inUse = 0;
  private peak = 0;
  private slabsAllocated = 0;
  private readonly free: Buffer[] = [];
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(
    readonly capacity: number,
    options: { slabSize?: number } = {},
  ) {
    this.slabSize = options.slabSize ?? MIB;
    if (!Number.isSafeInteger(this.slabSize) || this.slabSize <= 0) {
      throw new RangeError(`A part buffer pool needs a positive slab size, not ${this.slabSize}`);
    }
    if (!Number.isSafeInteger(capacity) || capacity < this.slabSize) {
      throw new RangeError(
        `A part buffer pool needs a capacity of at least one ${this.slabSize}-byte slab, not ${capacity}`,
      );
    }
  }

  /** Bytes currently reserved (whole slabs). */
  get reserved(): number {
    return this.inUse;
  }

  /** The most bytes ever reserved at once (for tests and metrics). */
  get peakReserved(): number {
    return this.peak;
  }

  /** Bytes of slabs allocated so far: never more than the capacity, and they are reused, not collected. */
  get allocated(): number {
    return this.slabsAllocated * this.slabSize;
  }

  /** Uploads waiting for room. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** What a part of `bytes` reserves: whole slabs, at least one. */
  reservationFor(bytes: number): number {
    return Math.max(1, Math.ceil(bytes / this.slabSize)) * this.slabSize;
  }

  /**
   * Reserves room for a part of `bytes` (at most `capacity` once rounded up to slabs), waiting in arrival order until
   * it is free, and returns the part buffer to fill; its release() gives the room back. An aborted signal stops the
   * wait with the signal's reason.
   */
  async reserve(bytes: number, signal?: AbortSignal): Promise<PartBuffer> {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || this.reservationFor(bytes) > this.capacity) {
      throw new RangeError(`Cannot reserve ${bytes} bytes of a ${this.capacity}-byte part buffer pool`);
    }
    const reservation = this.reservationFor(bytes);
    signal?.throwIfAborted();
    if (this.waiting.length === 0 && this.inUse + reservation <= this.capacity) {
      this.take(reservation);
    } else {
      await new Promise<void>((resolve, reject) => {
        const entry = {
          bytes: reservation,
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const index = this.waiting.indexOf(entry);
          if (index >= 0) {
            this.waiting.splice(index, 1);
            // Whoever queued behind this one may fit now.
            this.grantWaiting();
          }
          const reason: unknown = signal?.reason;
          reject(
            reason instanceof Error
              ? reason
              : new Error('Part buffer reservation aborted', { cause: reason }),
          );
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(entry);
      });
    }
    return new PartBuffer(this, bytes, reservation);
  }

  /** A slab for a part within its reservation: a free one, or a new one while fewer than capacity exist. */
  takeSlab(): Buffer {
    const slab = this.free.pop();
    if (slab) {
      return slab;
    }
    if ((this.slabsAllocated + 1) * this.slabSize > this.capacity) {
      // Reservations make this unreachable; the check keeps the bound a fact rather than a hope.
      throw new Error('Part buffer pool exhausted: a part took a slab beyond its reservation');
    }
    this.slabsAllocated += 1;
    // Outside Node's shared allocation pool: a slab lives as long as the process and is never sliced for others.
    return Buffer.allocUnsafeSlow(this.slabSize);
  }

  /** Takes back a part's slabs and its reservation. */
  giveBack(slabs: Buffer[], reservation: number): void {
    this.free.push(...slabs);
    this.inUse -= reservation;
    this.grantWaiting();
  }

  private take(bytes: number): void {
    this.inUse += bytes;
    this.peak = Math.max(this.peak, this.inUse);
  }

  /** First come, first served: a large reservation at the head is not overtaken by smaller ones behind it. */
  private grantWaiting(): void {
    for (;;) {
      const next = this.waiting[0];
      if (!next || this.inUse + next.bytes > this.capacity) {
        return;
      }
      this.waiting.shift();
      this.take(next.bytes);
      next.grant();
    }
  }
}

/**
 * One part's bytes, copied into slabs of the pool as they are written: slabs are taken one at a time as the part
 * fills, all within the reservation made for it, and go back to the pool on release().
 */
export class PartBuffer {
  private readonly slabs: Buffer[] = [];
  private filled = 0;
  private released = false;

  constructor(
    private readonly pool: PartBufferPool,
    /** The part's size: write() takes no more. */
    readonly capacity: number,
    private readonly reservation: number,
  ) {}

  /** Bytes written so far. */
  get length(): number {
    return this.filled;
  }

  get isFull(): boolean {
    return this.filled === this.capacity;
  }

  /** Copies as much of `chunk` from `offset` on as the part has room for; returns how many bytes it took. */
  write(chunk: Uint8Array, offset = 0): number {
    if (this.released) {
      throw new Error('A released part buffer cannot be written');
    }
    const size = this.pool.slabSize;
    let taken = 0;
    while (offset + taken < chunk.length && this.filled < this.capacity) {
      const within = this.filled % size;
      if (within === 0) {
        this.slabs.push(this.pool.takeSlab());
      }
      const slab = this.slabs[this.slabs.length - 1];
      const count = Math.min(size - within, this.capacity - this.filled, chunk.length - offset - taken);
      slab.set(chunk.subarray(offset + taken, offset + taken + count), within);
      taken += count;
      this.filled += count;
    }
    return taken;
  }

  /** The bytes written, in order, as views of the slabs: valid until release(). */
  chunks(): Buffer[] {
    const size = this.pool.slabSize;
    return this.slabs.map((slab, index) => slab.subarray(0, Math.min(size, this.filled - index * size)));
  }

  /** Gives the slabs and the reservation back to the pool (once, however often it is called). */
  release(): void {
    if (!this.released) {
      this.released = true;
      this.pool.giveBack(this.slabs.splice(0), this.reservation);
    }
  }
}
