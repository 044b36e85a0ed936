import { describe, expect, it } from '@jest/globals';

import { RECENT_UPLOAD_MS, RecentUploads } from './local-verify.js';

describe(RecentUploads.name, () => {
  const upload = { project: 'team/main', oid: 'a'.repeat(64), size: 10, token: 'lfsx_t' };

  it('knows an upload by project, token, oid and size for RECENT_UPLOAD_MS only', () => {
    let now = 1_000_000;
    const recent = new RecentUploads(() => now);
    recent.record(upload);
    expect(recent.anyFor('team/main', 'lfsx_t')).toBe(true);
    expect(recent.has('team/main', 'lfsx_t', upload.oid, 10)).toBe(true);
    expect(recent.has('team/main', 'lfsx_t', upload.oid, 11)).toBe(false);
    expect(recent.has('team/main', 'lfsx_other', upload.oid, 10)).toBe(false);
    expect(recent.has('team/other', 'lfsx_t', upload.oid, 10)).toBe(false);
    now += RECENT_UPLOAD_MS;
    expect(recent.has('team/main', 'lfsx_t', upload.oid, 10)).toBe(false);
    expect(recent.anyFor('team/main', 'lfsx_t')).toBe(false);
  });

  it('keeps at most 10,000 uploads, dropping the oldest', () => {
    const recent = new RecentUploads(() => 0);
    for (let index = 0; index <= 10_000; index += 1) {
      recent.record({ ...upload, size: index });
    }
    expect(recent.has('team/main', 'lfsx_t', upload.oid, 0)).toBe(false);
    expect(recent.has('team/main', 'lfsx_t', upload.oid, 10_000)).toBe(true);
  });
});
