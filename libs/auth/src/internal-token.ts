import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A MAC key: a derived key (see deriveKey), or a string in tests. */
export type MacKey = string | Buffer;

/** How far apart the proxy's and the API's clocks may be, and how long a captured signature stays usable. */
const MAX_SKEW_SECONDS = 60;

/**
 * How long the API must remember a signed call's nonce to refuse every replay of it: a signature is accepted while
 * its timestamp is within MAX_SKEW_SECONDS of the API's clock, either side.
 */
export const INTERNAL_SIGNATURE_WINDOW_SECONDS = 2 * MAX_SKEW_SECONDS + 1;

function digest(
  key: MacKey,
  method: string,
  pathAndQuery: string,
  timestamp: number,
  nonce: string,
  body: string,
): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', key)
    .update(`${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${bodyHash}`)
    .digest();
}

/**
 * Signs an internal proxy-to-API call; the result goes in the INTERNAL_SIGNATURE_HEADER header. Each signature
 * carries a fresh nonce, which the API accepts once.
 */
export function signInternalRequest(
  key: MacKey,
  method: string,
  pathAndQuery: string,
  body: string,
  now: number = Date.now(),
  nonce: string = randomBytes(16).toString('base64url'),
): string {
  const timestamp = Math.floor(now / 1000);
  const mac = digest(key, method, pathAndQuery, timestamp, nonce, body).toString('hex');
  return `t=${timestamp},n=${nonce},s=${mac}`;
}

/** What a valid internal signature says: when it was made, and the nonce a replay would repeat. */
export interface InternalSignature {
  timestamp: number;
  nonce: string;
}

/**
 * The timestamp and nonce of a signature header made with `key` for exactly this call, recently; undefined for any
 * other header. Refusing a nonce seen before is the caller's part (it needs the shared cache).
 */
export function verifyInternalRequest(
  key: MacKey,
  header: string | undefined,
  method: string,
  pathAndQuery: string,
  body: string,
  now: number = Date.now(),
): InternalSignature | undefined {
  const match = /^t=(\d{1,12}),n=([A-Za-z0-9_-]{16,64}),s=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) {
    return undefined;
  }
  const [, timestampText = '', nonce = '', signature = ''] = match;
  const timestamp = Number(timestampText);
  if (Math.abs(Math.floor(now / 1000) - timestamp) > MAX_SKEW_SECONDS) {
    return undefined;
  }
  const expected = digest(key, method, pathAndQuery, timestamp, nonce, body);
  return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? { timestamp, nonce } : undefined;
}

function clientAddressDigest(key: MacKey, address: string, timestamp: number): Buffer {
  return createHmac('sha256', key).update(`client-address\n${address}\n${timestamp}`).digest();
}

/** The proxy's signed statement of a client's address, for the CLIENT_ADDRESS_HEADER header. */
export function signClientAddress(key: MacKey, address: string, now: number = Date.now()): string {
  address = address.replace(/[\s,]/g, '').slice(0, 100) || 'unknown';
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},s=${clientAddressDigest(key, address, timestamp).toString('hex')},a=${address}`;
}

/** The address in a CLIENT_ADDRESS_HEADER value signed with `key` recently, or undefined for any other value. */
export function verifyClientAddress(
  key: MacKey,
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
  const expected = clientAddressDigest(key, address, timestamp);
  return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? address : undefined;
}

/**
 * signClientAddress and verifyClientAddress with one key, remembering the last value made and the last one accepted:
 * the proxy signs, and the API checks, the same address on every request of a busy client, and the value only
 * changes with the second it names. A remembered value is still refused once it is too old, as a new one would be.
 */
export class ClientAddressSignatures {
  private signed = { address: '', second: -1, value: '' };
  private accepted = { header: '', timestamp: 0, address: '' };

  constructor(private readonly key: MacKey) {}

  sign(address: string, now: number = Date.now()): string {
    const second = Math.floor(now / 1000);
    if (address !== this.signed.address || second !== this.signed.second) {
      this.signed = { address, second, value: signClientAddress(this.key, address, now) };
    }
    return this.signed.value;
  }

  verify(header: string | undefined, now: number = Date.now()): string | undefined {
    if (header !== undefined && header === this.accepted.header) {
      return Math.abs(Math.floor(now / 1000) - this.accepted.timestamp) > MAX_SKEW_SECONDS
        ? undefined
        : this.accepted.address;
    }
    const address = verifyClientAddress(this.key, header, now);
    if (address !== undefined && header !== undefined) {
      // A value that verified starts with `t=<seconds>,`.
      this.accepted = { header, timestamp: Number(header.slice(2, header.indexOf(','))), address };
    }
    return address;
  }
}

/** Seals a JSON payload so that only a holder of `key` could have produced it. */
export function sealPayload(key: MacKey, payload: object): string {
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', key).update(encoded).digest('base64url');
  return `${encoded}.${mac}`;
}

/** Opens a sealed payload; returns undefined when it was not sealed with `key` or is malformed. */
export function openSealedPayload<T>(key: MacKey, sealed: string): T | undefined {
  const [encoded, mac, extra] = sealed.split('.');
  if (!encoded || !mac || extra !== undefined) {
    return undefined;
  }
  const expected = createHmac('sha256', key).update(encoded).digest();
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
