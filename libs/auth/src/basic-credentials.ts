/** Builds an `Authorization: Basic …` header value. */
export function formatBasicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * Reads an `Authorization: Basic …` header as RFC 7617 §2 defines it: the scheme (any case), base64 of
 * user-id ":" password in UTF-8, split at the first colon, since a user-id cannot hold one and a password may hold
 * any number (leading ones too). Undefined for another scheme, no colon, or an empty user-id or password (no
 * account of ours has either).
 */
export function parseBasicAuthorization(
  authorization: string,
): { username: string; password: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/=._~-]+) *$/i.exec(authorization);
  if (!match?.[1]) {
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    return undefined;
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
