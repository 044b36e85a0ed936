import { describe, expect, it } from '@jest/globals';

import { describeProgress, formatDuration, MigrationProgressBar } from './migration-progress.js';

describe(describeProgress.name, () => {
  it('shows objects, bytes, the rate in MB/s and the time left at that rate', () => {
    expect(
      describeProgress(
        { phase: 'copy', done: 12, total: 40, bytes_done: 10 * 1024 * 1024, bytes_total: 40 * 1024 * 1024 },
        'running',
        2e6,
      ),
    ).toEqual({
      phase: 'copy',
      objects: '12/40',
      bytes: '10 MiB/40 MiB',
      speed: '2.0 MB/s',
      left: formatDuration((30 * 1024 * 1024) / 2e6),
    });
  });

  it('shows placeholders while nothing is known', () => {
    expect(describeProgress(null, 'queued', null)).toEqual({
      phase: 'queued',
      objects: '0/?',
      bytes: '0 bytes/?',
      speed: '- MB/s',
      left: '-',
    });
  });
});

describe(formatDuration.name, () => {
  it.each([
    [0, '0:00'],
    [42, '0:42'],
    [725, '12:05'],
    [10930, '3:02:10'],
  ])('formats %d seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe(MigrationProgressBar.name, () => {
  it('draws the rate over the last seconds from the bytes reported', () => {
    let now = 0;
    let drawn = '';
    const bar = new MigrationProgressBar(
      { write: (chunk: string) => (drawn += chunk), isTTY: true } as never,
      () => now,
    );
    const progress = (
      bytes: number,
    ): { phase: string; done: number; total: number; bytes_done: number; bytes_total: number } => ({
      phase: 'copy',
      done: 1,
      total: 2,
      bytes_done: bytes,
      bytes_total: 10e6,
    });

    bar.update(progress(0), 'running');
    now = 1000;
    bar.update(progress(3e6), 'running');
    bar.stop();

    expect(drawn).toContain('3.0 MB/s');
    expect(drawn).toContain('ETA 0:02');
  });
});
