/** Builds an `Authorization: Basic …` header value. */
export function formatBasicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
