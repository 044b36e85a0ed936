import { describe, expect, it } from '@jest/globals';

import { archiveObjectMember, oidOfArchiveMember } from './project-archive.types.js';

const OID = 'abcdef0123456789'.repeat(4);

describe(oidOfArchiveMember.name, () => {
  it('reads back the oid of the member name an export writes', () => {
    expect(archiveObjectMember(OID)).toBe(`objects/ab/cd/${OID}`);
    expect(oidOfArchiveMember(archiveObjectMember(OID))).toBe(OID);
  });

  it.each([
    ['the manifest', 'manifest.json'],
    ['fan-out folders that do not match the oid', `objects/cd/ab/${OID}`],
    ['no fan-out', `objects/${OID}`],
    ['an uppercase oid', `objects/AB/CD/${OID.toUpperCase()}`],
    ['a short oid', `objects/ab/cd/${OID.slice(1)}`],
    ['a leading ./', `./objects/ab/cd/${OID}`],
    ['a path climbing out', `objects/ab/cd/../../${OID}`],
    ['something after the oid', `objects/ab/cd/${OID}/x`],
  ])('returns undefined for %s', (_, name) => {
    expect(oidOfArchiveMember(name)).toBeUndefined();
  });
});
