import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** The oid and size a body of `content` must be announced with. */
export function expectedFor(content: Buffer): { oid: string; size: number } {
  return { oid: createHash('sha256').update(content).digest('hex'), size: content.length };
}

/** `content` as a stream of `chunkSize` pieces, as a socket delivers it. */
export function bodyOf(content: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < content.length; offset += chunkSize) {
        yield content.subarray(offset, offset + chunkSize);
      }
    })(),
  );
}

/** A body that sends `head` and then fails the way a dropped connection does. */
export function failingBody(head: Buffer, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield* bodyOf(head);
      throw error;
    })(),
  );
}

/** A body that never ends; `produced` counts the bytes it was asked for. */
export function endlessBody(): Readable & { produced: number } {
  const chunk = randomBytes(64 * 1024);
  const body = Object.assign(
    new Readable({
      read() {
        body.produced += chunk.length;
        this.push(chunk);
      },
    }),
    { produced: 0 },
  );
  return body;
}

/** A body that sends `head` and then stalls, like a client that stopped sending. */
export function stallingBody(head: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(head);
      }
    },
  });
}

/**
 * Sends `content` in 64 KiB chunks and then neither ends nor fails, like a client that stopped sending; `taken` is
 * true once the upload read all of it.
 */
export function unendingBody(content: Buffer): Readable & { readonly taken: boolean } {
  let offset = 0;
  const body = new Readable({
    read() {
      if (offset < content.length) {
        this.push(content.subarray(offset, offset + 64 * 1024));
        offset += 64 * 1024;
      }
    },
  });
  return Object.defineProperty(body, 'taken', {
    get: () => offset >= content.length && body.readableLength === 0,
  }) as Readable & { readonly taken: boolean };
}

/** The error `promise` rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}
