const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * Authorization headers that carry no usable Basic credentials, each with what is wrong with it: the parser reads
 * nothing from any of them, and the strategy refuses each without looking anyone up.
 */
export const UNUSABLE_BASIC_AUTHORIZATIONS: ReadonlyArray<readonly [string, string]> = [
  ['another scheme', 'Bearer lfs_abc'],
  ['no credentials', 'Basic'],
  ['no colon', `Basic ${base64('alice')}`],
  ['no username', `Basic ${base64(':correct horse')}`],
  ['no password', `Basic ${base64('alice:')}`],
  ['not base64', 'Basic !!!not-base64!!!'],
];
