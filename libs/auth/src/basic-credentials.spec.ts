import { describe, expect, it } from '@jest/globals';
import { UNUSABLE_BASIC_AUTHORIZATIONS } from '@lfs-depot/testing';

import { formatBasicAuthorization, parseBasicAuthorization } from './basic-credentials.js';

describe(parseBasicAuthorization.name, () => {
  it.each([
    ['a plain pair', 'alice', 'correct horse'],
    ['colons anywhere in the password', 'alice', 'a:b::c:'],
    ['a password that starts with a colon', 'alice', ':correct horse'],
    ['UTF-8 on both sides', 'zoë', 'pässwörd'],
  ])('reads %s, splitting at the first colon (RFC 7617)', (_case, username, password) => {
    expect(parseBasicAuthorization(formatBasicAuthorization(username, password))).toEqual({
      username,
      password,
    });
  });

  it('takes the scheme in any case', () => {
    expect(parseBasicAuthorization(`bAsIc ${Buffer.from('a:b').toString('base64')}`)).toEqual({
      username: 'a',
      password: 'b',
    });
  });

  it.each(UNUSABLE_BASIC_AUTHORIZATIONS)('reads nothing from %s', (_case, authorization) => {
    expect(parseBasicAuthorization(authorization)).toBeUndefined();
  });
});
