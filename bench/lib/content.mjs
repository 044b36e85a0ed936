// Synthetic object contents, generated on the fly from a pool of random 1 MiB blocks: sending costs the client no
// reads and no allocation, so the client stays cheap; the oid still has to be hashed once in advance because it is
// part of the upload URL. Each `seed` gives different bytes (and so a different oid: no deduplication between runs).
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

const MIB = 1024 * 1024;
const POOL = Array.from({ length: 32 }, () => randomBytes(MIB));

/** A synthetic object of `size` bytes: `chunks()` yields its bytes, `oid` is filled in by `hashObject`. */
export function syntheticObject(size, seed) {
  const first = Buffer.from(POOL[seed % POOL.length]);
  first.write(`lfs-depot bench object ${seed} ${size} ${Date.now()} ${Math.random()}`);
  return {
    size,
    seed,
    oid: undefined,
    *chunks() {
      let left = size;
      for (let i = 0; left > 0; i += 1) {
        const block = i === 0 ? first : POOL[(seed + i * 7) % POOL.length];
        const part = left >= MIB ? block : block.subarray(0, left);
        left -= part.length;
        yield part;
      }
    },
    stream() {
      return Readable.from(this.chunks(), { objectMode: false, highWaterMark: MIB });
    },
  };
}

/** Computes and sets `object.oid` (SHA-256 of its bytes). */
export function hashObject(object) {
  const hash = createHash('sha256');
  for (const chunk of object.chunks()) {
    hash.update(chunk);
  }
  object.oid = hash.digest('hex');
  return object;
}

/** A small object held in memory. */
export function smallObject(size) {
  const data = randomBytes(size);
  return { size, data, oid: createHash('sha256').update(data).digest('hex') };
}
