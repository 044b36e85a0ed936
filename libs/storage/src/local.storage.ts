import { randomBytes } from 'node:crypto';
import {
  close,
  createReadStream,
  createWriteStream,
  fstat,
  fsync,
  open as openCallback,
  read,
  write,
  type WriteStream,
} from 'node:fs';
import { once } from 'node:events';
import {
  link,
  mkdir,
  opendir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

import {
  assertValidKey,
  isValidKey,
  QUARANTINE_DIRECTORY,
  quarantineKey,
  STORAGE_MARKER_KEY,
  TEMP_DIRECTORY,
} from './object-key.js';
import {
  assertValidRange,
  type ByteRange,
  type ExpectedObject,
  type ObjectStorage,
  SMALL_READ_MAX,
  type StoredEntry,
} from './object-storage.js';
import { readSmallBody } from './small-body.js';
import { ObjectMissingError, StoredSizeMismatchError } from './storage.errors.js';
import { verifyAgainstStored } from './verify-without-storing.js';
import { VerifyingStream } from './verifying-stream.js';

// Large buffers mean fewer, bigger writev/read calls; with 16 KiB defaults syscalls dominate on fast disks.
const STREAM_HIGH_WATER_MARK = 1024 * 1024;
// Between the socket and the file only a little needs to wait: the file stream's 1 MiB buffer batches the writes.
// Each upload holds this twice (both sides of the transform), so it is what concurrent uploads multiply. One socket
// read (64 KiB) is enough: larger buffers raised the peak memory of concurrent uploads without making a single
// upload faster (bench/README.md).
const VERIFIER_HIGH_WATER_MARK = 64 * 1024;
// Objects up to this size are read whole, verified, then written in one write: no more memory than the streaming
// path's verifier buffer holds, and without its two pipelines, transform and write stream, which cost a small object
// more than its bytes do (bench/README.md, small push).
const SMALL_OBJECT_MAX = VERIFIER_HIGH_WATER_MARK;

// Objects are private to the user running lfs-depot: access goes through the API's rules, never the filesystem.
const PRIVATE_FOLDER = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * Objects as plain files under `root`, one per key. Uploads are written to `root/tmp/` (same filesystem, so the
 * final rename is atomic), fsynced, and renamed into place only after verification; readers never see a partial
 * file and a failed upload leaves nothing behind.
 */
export class LocalStorage implements ObjectStorage {
  readonly kind = 'file' as const;
  readonly root: string;
  private readonly tempDir: string;
  /** Temp files of this process's uploads in progress: never swept, however old (a stalled body). */
  private readonly inProgress = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tempDir = path.join(this.root, TEMP_DIRECTORY);
  }

  async put(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const target = this.pathOf(key);
    if (expected.size <= SMALL_OBJECT_MAX) {
      await this.putSmall(target, body, expected, options.signal);
      return;
    }
    const verifier = new VerifyingStream(expected, { highWaterMark: VERIFIER_HIGH_WATER_MARK });
    // Wired at once so that a body error during the asynchronous set-up below has a listener and is not fatal.
    const received = pipeline(body, verifier);
    received.catch(() => undefined);
    const stopWatching = verifier.abortOn(options.signal);
    try {
      const temp = await this.createTempFile();
      this.inProgress.add(temp.path);
      try {
        await this.writeAndCommit(temp, target, verifier, received);
      } catch (error) {
        // Waits for the write stream's in-flight writes when it owns the descriptor; a close error here would only
        // hide the cause.
        await releaseTempFile(temp).catch(() => undefined);
        await rm(temp.path, { force: true });
        throw error;
      } finally {
        this.inProgress.delete(temp.path);
      }
    } catch (error) {
      verifier.destroy();
      // The verifier holds the root cause (mismatch, body error, abort); later stages only saw its side effects.
      throw verifier.errored ?? error;
    } finally {
      stopWatching();
    }
  }

  /**
   * put() of a small object: its bytes are verified in memory before any file exists, so a mismatch touches no disk;
   * then written to a temp file, fsynced, closed and renamed into place, with the same durability as a streamed one.
   */
  private async putSmall(
    target: string,
    body: Readable,
    expected: ExpectedObject,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const content = await readSmallBody(body, expected, signal);
    const temp = await this.createTempFile();
    this.inProgress.add(temp.path);
    try {
      try {
        await writeAll(temp.fd, content);
        await syncDescriptor(temp.fd);
      } catch (error) {
        await closeDescriptor(temp.fd).catch(() => undefined);
        throw error;
      }
      await closeDescriptor(temp.fd);
      await moveIntoPlace(temp.path, target);
    } catch (error) {
      await rm(temp.path, { force: true });
      throw error;
    } finally {
      this.inProgress.delete(temp.path);
    }
    await syncDirectory(path.dirname(target));
  }

  /**
   * Removes upload temp files last written more than `olderThanMs` ago: the leftovers of uploads cut off by a crash
   * or kill -9, which no code path of theirs will ever remove. This process's own uploads in progress are skipped
   * whatever their age; another instance's live upload keeps writing, so its file stays young. Returns how many
   * files were removed.
   */
  async sweepTempFiles(olderThanMs: number, now: number = Date.now()): Promise<number> {
    const names = await readdir(this.tempDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        return [];
      }
      throw error;
    });
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.tempDir, name);
      if (!name.endsWith('.part') || this.inProgress.has(file)) {
        continue;
      }
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile() && now - info.mtimeMs > olderThanMs) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Upload temp files last written more than `olderThanMs` ago (those `sweepTempFiles` would remove). */
  async *listTempLeftovers(olderThanMs: number, now: number = Date.now()): AsyncGenerator<StoredEntry> {
    const names = await readdir(this.tempDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        return [];
      }
      throw error;
    });
    for (const name of names) {
      const file = path.join(this.tempDir, name);
      if (!name.endsWith('.part') || this.inProgress.has(file)) {
        continue;
      }
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile() && now - info.mtimeMs > olderThanMs) {
        yield { key: `${TEMP_DIRECTORY}/${name}`, size: info.size };
      }
    }
  }

  /** Walks the fan-out folders one directory handle at a time, skipping tmp/ and quarantine/. */
  async *listObjects(): AsyncGenerator<StoredEntry> {
    async function* walk(directory: string, prefix: string): AsyncGenerator<StoredEntry> {
      let handle;
      try {
        handle = await opendir(directory);
      } catch (error) {
        if (isMissing(error)) {
          return;
        }
        throw error;
      }
      for await (const entry of handle) {
        const key = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (!prefix && (entry.name === TEMP_DIRECTORY || entry.name === QUARANTINE_DIRECTORY)) {
            continue;
          }
          yield* walk(path.join(directory, entry.name), key);
        } else if (entry.isFile() && isValidKey(key)) {
          const info = await stat(path.join(directory, entry.name)).catch(() => undefined);
          if (info?.isFile()) {
            yield { key, size: info.size };
          }
        }
      }
    }
    yield* walk(this.root, '');
  }

  /** A rename into quarantine/ (same filesystem, so atomic), made durable like an upload's. */
  async quarantine(key: string): Promise<string | undefined> {
    const source = this.pathOf(key);
    const target = quarantineKey(key, Date.now());
    const targetPath = path.join(this.root, ...target.split('/'));
    await makeDurableFolder(path.dirname(targetPath));
    try {
      await rename(source, targetPath);
    } catch (error) {
      if (isMissing(error)) {
        return undefined;
      }
      throw error;
    }
    await syncDirectory(path.dirname(targetPath));
    await syncDirectory(path.dirname(source));
    return target;
  }

  async verify(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await verifyAgainstStored(key, body, expected, (stored) => this.stat(stored), {
      signal: options.signal,
      highWaterMark: VERIFIER_HIGH_WATER_MARK,
    });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { size: info.size } : undefined;
    } catch (error) {
      if (isMissing(error)) {
        return undefined;
      }
      throw error;
    }
  }

  async open(key: string, range?: ByteRange, recorded?: { size: number }): Promise<Readable> {
    const filePath = this.pathOf(key);
    if (range) {
      assertValidRange(range);
    }
    // A numeric descriptor, not a FileHandle: the stream then reads with plain fs.read, measurably faster than
    // the promise-based FileHandle reads on large downloads.
    const fd = await openForReading(filePath, key);
    try {
      const info = await statDescriptor(fd);
      if (!info.isFile()) {
        throw new ObjectMissingError(key);
      }
      if (recorded && recorded.size !== info.size) {
        throw new StoredSizeMismatchError(key, recorded.size, info.size);
      }
      if (range && range.start >= info.size) {
        throw new RangeError(
          `Range ${range.start}-${range.end} starts past the end of ${key} (${info.size} bytes)`,
        );
      }
      // The stream owns the descriptor from here on and closes it on end or destroy. Each read allocates a buffer of
      // highWaterMark bytes whatever it fills: for a 4 KiB object a 1 MiB one per download, and that garbage (a GiB
      // per thousand small downloads) made a fifth of the proxy's CPU collection work (bench/README.md).
      const length = range ? range.end - range.start + 1 : info.size;
      // Without an end the stream reads once more to learn the file has ended: one more thread-pool round trip per
      // download, which small ones feel most (bench/README.md). Ending at the size fstat saw still sends every stored
      // byte, so a file that changes length while it is read is still caught by the caller's length check.
      return createReadStream(filePath, {
        fd,
        autoClose: true,
        start: range?.start,
        end: range ? range.end : info.size > 0 ? info.size - 1 : undefined,
        highWaterMark: Math.max(1, Math.min(STREAM_HIGH_WATER_MARK, length)),
      });
    } catch (error) {
      await closeDescriptor(fd);
      throw error;
    }
  }

  /**
   * One open, one read of `size + 1` bytes, one close: no fstat and no stream. A regular file's read returns fewer
   * bytes than asked only at its end, so the count alone tells an exact file from a shorter or longer one; a folder
   * under the key fails the read (EISDIR) and is missing, as in `open`.
   */
  async readSmall(key: string, size: number): Promise<Buffer> {
    if (!Number.isSafeInteger(size) || size < 0 || size > SMALL_READ_MAX) {
      throw new RangeError(`readSmall reads objects of 0 to ${SMALL_READ_MAX} bytes, not ${size}`);
    }
    const filePath = this.pathOf(key);
    const fd = await openForReading(filePath, key);
    try {
      const content = Buffer.allocUnsafe(size + 1);
      const { bytesRead } = await readDescriptor(fd, content, 0, content.length, 0);
      return content.subarray(0, bytesRead);
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code === 'EISDIR' ? new ObjectMissingError(key) : error;
    } finally {
      await closeDescriptor(fd);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isMissing(error)) {
        throw error;
      }
    }
  }

  async readMarker(): Promise<string | undefined> {
    try {
      return await readFile(path.join(this.root, STORAGE_MARKER_KEY), 'utf8');
    } catch (error) {
      if (isMissing(error)) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Written whole to a temp file and fsynced, then hard-linked to the marker's name: link() fails when the name
   * exists, so of two writers exactly one wins, and a reader never sees a partly written marker.
   */
  async createMarker(content: string): Promise<string> {
    const temp = await this.createTempFile();
    try {
      try {
        await writeAll(temp.fd, Buffer.from(content));
        await syncDescriptor(temp.fd);
      } finally {
        await closeDescriptor(temp.fd);
      }
      await link(temp.path, path.join(this.root, STORAGE_MARKER_KEY));
      await syncDirectory(this.root);
      return content;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
      const found = await this.readMarker();
      if (found === undefined) {
        throw new Error(`${STORAGE_MARKER_KEY} vanished while it was being created in ${this.root}`, {
          cause: error,
        });
      }
      return found;
    } finally {
      await rm(temp.path, { force: true });
    }
  }

  async check(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true, mode: PRIVATE_FOLDER });
    // access(W_OK) misses read-only remounts on some filesystems; actually creating a file does not.
    const probe = path.join(this.tempDir, `check-${randomBytes(8).toString('hex')}`);
    await writeFile(probe, '', { mode: PRIVATE_FILE });
    await rm(probe, { force: true });
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  /** Creates a file in tmp/ before any bytes flow, so that every failure path has something definite to remove. */
  private async createTempFile(): Promise<TempFile> {
    const tempPath = path.join(this.tempDir, `${randomBytes(12).toString('hex')}.part`);
    try {
      return { path: tempPath, fd: await openDescriptor(tempPath, 'wx', PRIVATE_FILE) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
      // First upload into a fresh root; cheaper than a mkdir before every upload.
      await mkdir(this.tempDir, { recursive: true, mode: PRIVATE_FOLDER });
      return { path: tempPath, fd: await openDescriptor(tempPath, 'wx', PRIVATE_FILE) };
    }
  }

  private async writeAndCommit(
    temp: TempFile,
    target: string,
    verifier: VerifyingStream,
    received: Promise<void>,
  ): Promise<void> {
    // The stream takes over the descriptor: with flush it fsyncs before closing it, and pipeline() resolves only
    // after that close, so the bytes are on disk before the rename. On error pipeline() destroys it, closing the
    // descriptor. A numeric descriptor rather than a FileHandle: plain fs.write calls are measurably faster than
    // FileHandle's promise-based ones on large uploads.
    const file = createWriteStream(temp.path, {
      fd: temp.fd,
      flush: true,
      highWaterMark: STREAM_HIGH_WATER_MARK,
    });
    temp.stream = file;
    await Promise.all([received, pipeline(verifier, file)]);
    await moveIntoPlace(temp.path, target);
    // The API records the object right after this returns, so the rename itself must survive a crash.
    await syncDirectory(path.dirname(target));
  }
}

const openDescriptor = promisify(openCallback);
const statDescriptor = promisify(fstat);
const closeDescriptor = promisify(close);
const readDescriptor = promisify(read);
const syncDescriptor = promisify(fsync);
const writeDescriptor = promisify(write);

/** A numeric descriptor to read `filePath` with; ObjectMissingError when nothing is stored under `key`. */
async function openForReading(filePath: string, key: string): Promise<number> {
  try {
    return await openDescriptor(filePath, 'r');
  } catch (error) {
    throw isMissing(error) ? new ObjectMissingError(key) : error;
  }
}

/** Writes all of `content` at the descriptor's position (a write may take fewer bytes than it was given). */
async function writeAll(fd: number, content: Buffer): Promise<void> {
  let offset = 0;
  while (offset < content.length) {
    const { bytesWritten } = await writeDescriptor(fd, content, offset, content.length - offset);
    if (bytesWritten === 0) {
      // A regular file never takes nothing without an error; looping on it would never finish the upload.
      throw new Error(`the storage took no bytes of a write at offset ${offset}; check the disk`);
    }
    offset += bytesWritten;
  }
}

/**
 * Renames a verified, fsynced temp file to its object's path. Replacing an existing file is fine: anything stored
 * under this key (a concurrent upload of the same oid, an object the API did not know of) has identical, verified
 * bytes.
 */
async function moveIntoPlace(tempPath: string, target: string): Promise<void> {
  try {
    await rename(tempPath, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
    // Fan-out folders appear with the first object that needs them.
    await makeDurableFolder(path.dirname(target));
    await rename(tempPath, target);
  }
}

interface TempFile {
  path: string;
  fd: number;
  /** Set once a write stream owns (and so will close) the descriptor. */
  stream?: WriteStream;
}

/**
 * Closes the temp file's descriptor exactly once: through its write stream when one owns it (and may have closed it
 * already), else directly. A second close could hit an unrelated file or socket that has reused the number meanwhile.
 */
async function releaseTempFile(temp: TempFile): Promise<void> {
  const { stream } = temp;
  if (!stream) {
    await closeDescriptor(temp.fd);
    return;
  }
  if (!stream.closed) {
    const closed = once(stream, 'close');
    stream.destroy();
    await closed;
  }
}

/**
 * Creates `folder` and any missing parents, and fsyncs the parent of each folder it created (down to `folder`'s own
 * parent): a new folder's entry is durable only once its parent is synced, and an object renamed into a folder whose
 * entry could vanish in a crash would vanish with it. `folder` itself is synced by the caller after its rename.
 */
export async function makeDurableFolder(
  folder: string,
  sync: (directory: string) => Promise<void> = syncDirectory,
): Promise<void> {
  const first = await mkdir(folder, { recursive: true, mode: PRIVATE_FOLDER });
  if (first === undefined) {
    return;
  }
  for (let created = folder; ; created = path.dirname(created)) {
    await sync(path.dirname(created));
    if (created === first) {
      return;
    }
  }
}

async function syncDirectory(directory: string): Promise<void> {
  // A numeric descriptor, as for the files: no FileHandle object and its promise machinery per upload.
  const fd = await openDescriptor(directory, 'r');
  try {
    await syncDescriptor(fd);
  } finally {
    await closeDescriptor(fd);
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
