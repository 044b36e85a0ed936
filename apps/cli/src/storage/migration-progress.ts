import { formatBytes } from '@lfs-depot/contracts';
import type { JobProgress } from '@lfs-depot/contracts';
import { SingleBar } from 'cli-progress';

import type { TextSink } from '../cli.types.js';

/** How far back the rate looks: long enough to smooth one large object, short enough to follow a change. */
const RATE_WINDOW_MS = 10_000;

/**
 * A migration's progress bar on a terminal: objects, bytes, MB/s (over the last seconds) and the time left at that
 * rate. The bar follows bytes, so that one large object does not stall it.
 */
export class MigrationProgressBar {
  private readonly bar: SingleBar;
  private readonly samples: { at: number; bytes: number }[] = [];
  private started = false;

  /** `format` names the fields of describeProgress; archives have no object count to show, for one. */
  constructor(
    stream: TextSink,
    private readonly now: () => number = Date.now,
    format = '{phase} [{bar}] {objects} objects | {bytes} | {speed} | ETA {left}',
  ) {
    this.bar = new SingleBar({
      stream: stream as NodeJS.WritableStream,
      format,
      hideCursor: true,
      clearOnComplete: true,
    });
  }

  update(progress: JobProgress | null, state: string): void {
    const payload = describeProgress(progress, state, this.rate(progress));
    const total = Math.max(progress?.bytes_total ?? 0, progress?.bytes_done ?? 0, 1);
    if (!this.started) {
      this.bar.start(total, progress?.bytes_done ?? 0, payload);
      this.started = true;
      return;
    }
    this.bar.setTotal(total);
    this.bar.update(progress?.bytes_done ?? 0, payload);
  }

  stop(): void {
    if (this.started) {
      this.bar.stop();
    }
  }

  /** Bytes per second over the window, null until two samples are apart. */
  private rate(progress: JobProgress | null): number | null {
    if (progress?.bytes_done === undefined) {
      return null;
    }
    const at = this.now();
    this.samples.push({ at, bytes: progress.bytes_done });
    while (this.samples.length > 2 && at - (this.samples[0]?.at ?? at) > RATE_WINDOW_MS) {
      this.samples.shift();
    }
    const first = this.samples[0];
    if (!first || at - first.at < 500) {
      return null;
    }
    return ((progress.bytes_done - first.bytes) * 1000) / (at - first.at);
  }
}

/** The bar's fields: `12/40`, `3.0 MiB/9.5 MiB`, `1.2 MB/s`, `0:05`. */
export function describeProgress(
  progress: JobProgress | null,
  state: string,
  bytesPerSecond: number | null,
): { phase: string; objects: string; bytes: string; speed: string; left: string } {
  const done = progress?.bytes_done ?? 0;
  const total = progress?.bytes_total ?? null;
  const left =
    bytesPerSecond !== null && bytesPerSecond > 0 && total !== null
      ? formatDuration(Math.max(0, total - done) / bytesPerSecond)
      : '-';
  return {
    phase: progress?.phase ?? state,
    objects: `${progress?.done ?? 0}/${progress?.total ?? '?'}`,
    bytes: `${formatBytes(done)}/${total === null ? '?' : formatBytes(total)}`,
    speed: bytesPerSecond === null ? '- MB/s' : `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`,
    left,
  };
}

/** `0:42`, `12:05`, `3:02:10`. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}
