import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How far apart the proxy's and the API's clocks may be, and how long a captured signature stays usable. */
const MAX_SKEW_SECONDS = 60;

function digest(
  secret: string,
  method: string,
  pathAndQuery: string,
  timestamp: number,
  body: string,
): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret)
    .update(`${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${bodyHash}`)
    .digest();
}

/** Signs an internal proxy-to-API call; the result goes in the INTERNAL_SIGNATURE_HEADER header. */
export function signInternalRequest(
  secret: string,
  method: string,
  pathAndQuery: string,
  body: string,
  now: number = Date.now(),
): string {
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},s=${digest(secret, method, pathAndQuery, timestamp, body).toString('hex')}`;
}

/** Returns whether the signature header was made with `secret` for exactly this call, recently. */
export function verifyInternalRequest(
  secret: string,
  header: string | undefined,
  method: string,
  pathAndQuery: string,
  body: string,
  now: number = Date.now(),
): boolean {
  const match = /^t=(\d{1,12}),s=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) {
    return false;
  }
  const timestamp = Number(match[1]);
  if (Math.abs(Math.floor(now / 1000) - timestamp) > MAX_SKEW_SECONDS) {
    return false;
  }
  const expected = digest(secret, method, pathAndQuery, timestamp, body);
  return timingSafeEqual(expected, Buffer.from(match[2] ?? '', 'hex'));
}

function clientAddressDigest(secret: string, address: string, timestamp: number): Buffer {
  return createHmac('sha256', secret).update(`client-address\n${address}\n${timestamp}`).digest();
}

/** The proxy's signed statement of a client's address, for the CLIENT_ADDRESS_HEADER header. */
export function signClientAddress(secret: string, address: string, now: number = Date.now()): string {
  address = address.replace(/[\s,]/g, '').slice(0, 100) || 'unknown';
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},s=${clientAddressDigest(secret, address, timestamp).toString('hex')},a=${address}`;
}

/** The address in a CLIENT_ADDRESS_HEADER value signed with `secret` recently, or undefined for any other value. */
export function verifyClientAddress(
  secret: string,
  header: string | undefined,
  now: number = Date.now(),
): string | undefined {
  const match = /^t=(\d{1,12}),s=([0-9a-f]{64}),a=([^\s,]{1,100})$/.exec(header ?? '');
  if (!match) {
    return undefined;
  }
  const [, timestampText = '', signature = '', address = ''] = match;
  const timestamp = Number(timestampText);
  if (Math.abs(Math.floor(now / 1000) - timestamp) > MAX_SKEW_SECONDS) {
    return undefined;
  }
  const expected = clientAddressDigest(secret, address, timestamp);
  return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? address : undefined;
}

/** Seals a JSON payload so that only a holder of `secret` could have produced it. */
export function sealPayload(secret: string, payload: object): string {
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', secret).update(encoded).digest('base64url');
  return `${encoded}.${mac}`;
}

/** Opens a sealed payload; returns undefined when it was not sealed with `secret` or is malformed. */
export function openSealedPayload<T>(secret: string, sealed: string): T | undefined {
  const [encoded, mac, extra] = sealed.split('.');
  if (!encoded || !mac || extra !== undefined) {
    return undefined;
  }
  const expected = createHmac('sha256', secret).update(encoded).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return undefined;
  }
  try {
    return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
