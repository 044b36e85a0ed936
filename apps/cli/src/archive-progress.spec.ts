import { describe, expect, it } from '@jest/globals';
import type { ProjectArchiveManifest } from '@lfs-depot/contracts';
import { archiveObjectMember, MANIFEST_MEMBER } from '@lfs-depot/contracts';
import tar from 'tar-stream';

import { ArchiveProgress, estimateArchiveSize, readManifest } from './archive-progress.js';

/** A tar as projects export writes it: the manifest, then one member per object. */
async function archive(sizes: number[]): Promise<{ bytes: Buffer; manifest: ProjectArchiveManifest }> {
  const manifest: ProjectArchiveManifest = {
    format: 'lfs-depot-project',
    version: 1,
    exported_at: '2026-01-02T03:04:05.000Z',
    project: { path: 'team/game', visibility: 'private', quota_bytes: null },
    objects: { count: sizes.length, size: sizes.reduce((sum, size) => sum + size, 0) },
  };
  const pack = tar.pack();
  pack.entry({ name: MANIFEST_MEMBER }, `${JSON.stringify(manifest, null, 2)}\n`);
  sizes.forEach((size, i) => {
    pack.entry({ name: archiveObjectMember(String(i).padStart(64, '0')) }, Buffer.alloc(size, i));
  });
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) {
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), manifest };
}

describe(readManifest.name, () => {
  it('reads the manifest an archive begins with once its bytes are all there', async () => {
    const { bytes, manifest } = await archive([10, 2000]);
    expect(readManifest(bytes.subarray(0, 100))).toBe('incomplete');
    expect(readManifest(bytes.subarray(0, 600))).toBe('incomplete');
    expect(readManifest(bytes)).toEqual({ manifest, bytes: `${JSON.stringify(manifest, null, 2)}\n`.length });
  });

  it('returns undefined for an archive that does not begin with a manifest', async () => {
    const { bytes } = await archive([10]);
    const renamed = Buffer.from(bytes);
    renamed.write('other.json\0', 0, 'latin1');
    expect(readManifest(renamed)).toBeUndefined();
    expect(readManifest(Buffer.alloc(1024, 0x41))).toBeUndefined();
  });
});

describe(estimateArchiveSize.name, () => {
  it('comes within half a block per object of the archive that follows', async () => {
    const sizes = [1, 511, 512, 513, 70_000, 0, 3000];
    const { bytes } = await archive(sizes);
    const found = readManifest(bytes);
    if (found === undefined || found === 'incomplete') {
      throw new Error('no manifest');
    }
    expect(Math.abs(estimateArchiveSize(found.bytes, found.manifest) - bytes.length)).toBeLessThanOrEqual(
      (sizes.length * 512) / 2,
    );
  });
});

describe(ArchiveProgress.name, () => {
  it('counts the bytes that pass, unchanged, and draws the rate and the time left out of the known total', async () => {
    let now = 0;
    let drawn = '';
    const progress = new ArchiveProgress(
      { write: (chunk: string) => (drawn += chunk), isTTY: true } as never,
      'import',
      10e6,
      () => now,
    );
    const counter = progress.counter();
    const passed: Buffer[] = [];
    counter.on('data', (chunk: Buffer) => passed.push(chunk));
    counter.write(Buffer.alloc(1000, 1));
    now = 1000;
    counter.write(Buffer.alloc(2e6 - 1000, 2));
    counter.end();
    await new Promise((resolve) => counter.on('end', resolve));
    progress.stop();

    expect(Buffer.concat(passed).length).toBe(2e6);
    expect(drawn).toContain('import [');
    expect(drawn).toContain('2.0 MB/s');
    expect(drawn).toContain('ETA 0:04');
  });

  it("takes the total from the archive's manifest when the size is not known", async () => {
    let now = 0;
    let drawn = '';
    const { bytes } = await archive([3 * 1024 * 1024]);
    const progress = new ArchiveProgress(
      { write: (chunk: string) => (drawn += chunk), isTTY: true } as never,
      'export',
      null,
      () => now,
    );
    const counter = progress.counter();
    counter.resume();
    // The first chunk holds the manifest; the rest comes a second later.
    counter.write(bytes.subarray(0, 4096));
    now = 1000;
    counter.write(bytes.subarray(4096, 1024 * 1024));
    progress.stop();

    expect(drawn).toContain('export [');
    expect(drawn).toMatch(/1 MiB\/3(\.0)? MiB/);
  });
});
