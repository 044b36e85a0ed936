import { Transform } from 'node:stream';

import type { ProjectArchiveManifest } from '@lfs-depot/contracts';
import { MANIFEST_MEMBER, MAX_MANIFEST_BYTES } from '@lfs-depot/contracts';

import type { TextSink } from './cli.types.js';
import { MigrationProgressBar } from './storage/migration-progress.js';

/** A tar block: every header is one, every member's bytes are padded to a whole number of them. */
const BLOCK = 512;
/** How often the bar is redrawn at most: a chunk arrives every few microseconds on a fast link. */
const DRAW_MS = 200;

const ARCHIVE_BAR_FORMAT = '{phase} [{bar}] {bytes} | {speed} | ETA {left}';

/** The size a tar header gives its member (octal digits, NUL or space ended). */
function memberSize(header: Buffer): number {
  return Number.parseInt(header.subarray(124, 136).toString('latin1').replace(/[\0 ]/g, ''), 8);
}

/**
 * The manifest an archive begins with and its length, read from the archive's first bytes: 'incomplete' while
 * `head` does not hold all of it yet, undefined when the archive does not begin with one (the server says why).
 */
export function readManifest(
  head: Buffer,
): { manifest: ProjectArchiveManifest; bytes: number } | 'incomplete' | undefined {
  if (head.length < BLOCK) {
    return 'incomplete';
  }
  const name = head.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
  const bytes = memberSize(head);
  if (name !== MANIFEST_MEMBER || !Number.isSafeInteger(bytes) || bytes > MAX_MANIFEST_BYTES) {
    return undefined;
  }
  if (head.length < BLOCK + bytes) {
    return 'incomplete';
  }
  try {
    const manifest = JSON.parse(
      head.subarray(BLOCK, BLOCK + bytes).toString('utf8'),
    ) as Partial<ProjectArchiveManifest>;
    const objects = manifest.objects;
    return objects && Number.isSafeInteger(objects.count) && Number.isSafeInteger(objects.size)
      ? { manifest: manifest as ProjectArchiveManifest, bytes }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long the archive whose manifest this is will be, nearly: the manifest, one header per object and the objects'
 * bytes are exact, each object's padding (0 to 511 bytes) is guessed at half a block.
 */
export function estimateArchiveSize(manifestBytes: number, manifest: ProjectArchiveManifest): number {
  const padded = (bytes: number): number => Math.ceil(bytes / BLOCK) * BLOCK;
  const { count, size } = manifest.objects;
  return BLOCK + padded(manifestBytes) + count * (BLOCK + BLOCK / 2) + size + 2 * BLOCK;
}

/**
 * The progress bar of a project export or import on a terminal: the archive's bytes as they pass, the rate (MB/s)
 * and the time left, out of the file's size when it is known and else of what the archive's manifest announces.
 */
export class ArchiveProgress {
  private readonly bar: MigrationProgressBar;
  private done = 0;
  /** The archive's first bytes until its manifest is read (at most a header and MAX_MANIFEST_BYTES). */
  private head: Buffer | undefined = Buffer.alloc(0);
  private drawnAt = Number.NEGATIVE_INFINITY;

  constructor(
    stream: TextSink,
    private readonly phase: 'export' | 'import',
    private total: number | null,
    private readonly now: () => number = Date.now,
  ) {
    this.bar = new MigrationProgressBar(stream, now, ARCHIVE_BAR_FORMAT);
    this.draw(true);
  }

  /** A stream that passes the archive on unchanged, counting it. */
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.add(chunk);
        callback(null, chunk);
      },
    });
  }

  /** Draws the last count (the redraws are throttled) and takes the bar off the terminal. */
  stop(): void {
    this.draw(true);
    this.bar.stop();
  }

  private add(chunk: Buffer): void {
    this.done += chunk.length;
    if (this.head !== undefined) {
      const head = Buffer.concat([
        this.head,
        chunk.subarray(0, BLOCK + MAX_MANIFEST_BYTES - this.head.length),
      ]);
      const found = readManifest(head);
      if (found === 'incomplete') {
        this.head = head;
      } else {
        this.head = undefined;
        if (found !== undefined && this.total === null) {
          this.total = estimateArchiveSize(found.bytes, found.manifest);
        }
      }
    }
    this.draw(false);
  }

  private draw(force: boolean): void {
    const at = this.now();
    if (!force && at - this.drawnAt < DRAW_MS) {
      return;
    }
    this.drawnAt = at;
    this.bar.update(
      { phase: this.phase, done: 0, total: null, bytes_done: this.done, bytes_total: this.total },
      'running',
    );
  }
}
