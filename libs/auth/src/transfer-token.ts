import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** Prefix of the short-lived credentials the API puts in batch actions. */
export const TRANSFER_TOKEN_PREFIX = 'lfsx_';

export type TransferRole = 'read' | 'write' | 'maintainer';

/** What a transfer token vouches for; who the user is today is looked up again by the API on every use. */
export interface TransferClaims {
  userId: string;
  projectId: string;
  role: TransferRole;
  /** Unix seconds. */
  expiresAt: number;
  /** The access token it was minted from (checked again on every use); undefined for password sign-ins. */
  parentTokenId?: string;
  /** The platform token that minted it through lfs-authenticate (checked again on every use). */
  parentPlatformTokenId?: string;
}

/**
 * What the token's signature binds besides its claims, without carrying them: the username the client sends beside it
 * in Basic and the project path of the URLs it is used on. The proxy checks both from the request it holds.
 */
export interface TransferBinding {
  username: string;
  projectPath: string;
}

/**
 * Version 2 added the parent access token's id, version 3 a platform token as the other kind of parent (`p` before its
 * id), version 4 the Ed25519 signature the proxy checks. Earlier versions are refused.
 */
export const TRANSFER_TOKEN_VERSION = 4;
const ROLE_CODES: Record<TransferRole, number> = { read: 1, write: 2, maintainer: 3 };
const ROLES_BY_CODE: Record<number, TransferRole | undefined> = { 1: 'read', 2: 'write', 3: 'maintainer' };
/** 128 bits: plenty against forgery within a token's lifetime, and half the length of a full SHA-256. */
const MAC_BYTES = 16;
const SIGNATURE_BYTES = 64;
/** Their key is API_SECRET's transfer-token key, which no one else uses; the context says what the MAC is for anyway. */
const MAC_CONTEXT = 'lfs-depot transfer token v1\n';
const SIGNATURE_CONTEXT = 'lfs-depot transfer token signature v1\n';
/** Longest token we look at: payload (ids of up to 19 digits), MAC and signature, with room to spare. */
const MAX_TOKEN_LENGTH = 300;
/** Longest payload: six bytes and three ids of up to 19 digits with their dots, in base64url. */
const MAX_PAYLOAD_CHARS = 96;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** DER prefixes that turn a raw 32-byte Ed25519 seed or public key into PKCS#8 or SPKI. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A transfer token taken apart, before anything about it is believed. */
export interface ParsedTransferToken {
  payload: Buffer;
  mac: Buffer;
  signature: Buffer;
  claims: TransferClaims;
}

/** The Ed25519 key pair that signs transfer tokens, made from a 32-byte seed (API_SECRET's own HKDF subkey). */
export function transferSigningKeys(seed: Buffer): { privateKey: KeyObject; publicKey: Buffer } {
  if (seed.length !== 32) {
    throw new TypeError('An Ed25519 seed is 32 bytes');
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: spki.subarray(SPKI_ED25519_PREFIX.length) };
}

/** The verifying key for a raw 32-byte Ed25519 public key, as the API publishes it to the proxy. */
export function transferVerifyingKey(publicKey: Buffer): KeyObject {
  if (publicKey.length !== 32) {
    throw new TypeError('An Ed25519 public key is 32 bytes');
  }
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
}

function macOf(key: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(MAC_CONTEXT).update(payload).digest().subarray(0, MAC_BYTES);
}

function signedMessage(payload: Buffer, binding: TransferBinding): Buffer {
  // Newlines separate the parts: neither a username nor a project path can hold one.
  return Buffer.concat([
    Buffer.from(`${SIGNATURE_CONTEXT}${binding.projectPath}\n${binding.username}\n`, 'utf8'),
    payload,
  ]);
}

/**
 * Makes a token: version, expiry and role in six bytes, then the ids, an HMAC the API checks (6 µs) and an Ed25519
 * signature over the same payload plus its binding, which the proxy checks without being able to make one.
 */
export function encodeTransferToken(
  claims: TransferClaims,
  binding: TransferBinding,
  keys: { macKey: Buffer; signingKey: KeyObject },
): string {
  const header = Buffer.alloc(6);
  header.writeUInt8(TRANSFER_TOKEN_VERSION, 0);
  header.writeUInt32BE(claims.expiresAt, 1);
  header.writeUInt8(ROLE_CODES[claims.role], 5);
  const parent =
    claims.parentTokenId !== undefined
      ? `.${claims.parentTokenId}`
      : claims.parentPlatformTokenId !== undefined
        ? `.p${claims.parentPlatformTokenId}`
        : '';
  const payload = Buffer.concat([
    header,
    Buffer.from(`${claims.userId}.${claims.projectId}${parent}`, 'latin1'),
  ]);
  const signature = sign(null, signedMessage(payload, binding), keys.signingKey);
  return `${TRANSFER_TOKEN_PREFIX}${payload.toString('base64url')}.${macOf(keys.macKey, payload).toString('base64url')}.${signature.toString('base64url')}`;
}

/** Takes a token apart and reads its claims; undefined when malformed, of another version, or expired at `now`. */
export function parseTransferToken(token: string, now = Date.now()): ParsedTransferToken | undefined {
  if (!token.startsWith(TRANSFER_TOKEN_PREFIX) || token.length > MAX_TOKEN_LENGTH) {
    return undefined;
  }
  const [encodedPayload, encodedMac, encodedSignature, extra] = token
    .slice(TRANSFER_TOKEN_PREFIX.length)
    .split('.');
  if (!encodedPayload || !encodedMac || !encodedSignature || extra !== undefined) {
    return undefined;
  }
  const payload = Buffer.from(encodedPayload, 'base64url');
  const mac = Buffer.from(encodedMac, 'base64url');
  const signature = Buffer.from(encodedSignature, 'base64url');
  if (mac.length !== MAC_BYTES || signature.length !== SIGNATURE_BYTES) {
    return undefined;
  }
  const claims = claimsOfPayload(payload, now);
  return claims && { payload, mac, signature, claims };
}

/**
 * The claims part of a token (base64url, as the token carries it), which a download grant carries instead of the whole
 * token: the grant's own signature vouches for it there. Undefined for anything but a well-formed transfer token.
 */
export function transferTokenPayload(token: string): string | undefined {
  if (!token.startsWith(TRANSFER_TOKEN_PREFIX)) {
    return undefined;
  }
  const end = token.indexOf('.', TRANSFER_TOKEN_PREFIX.length);
  return end > TRANSFER_TOKEN_PREFIX.length ? token.slice(TRANSFER_TOKEN_PREFIX.length, end) : undefined;
}

/**
 * Reads the claims of a payload as transferTokenPayload gives it; undefined when malformed, of another version, or
 * expired at `now`. Nothing about it is believed until whatever carries it has been verified.
 */
export function parseTransferPayload(encoded: string, now = Date.now()): TransferClaims | undefined {
  if (encoded.length > MAX_PAYLOAD_CHARS || !BASE64URL.test(encoded)) {
    return undefined;
  }
  return claimsOfPayload(Buffer.from(encoded, 'base64url'), now);
}

function claimsOfPayload(payload: Buffer, now: number): TransferClaims | undefined {
  if (payload.length < 9) {
    return undefined;
  }
  const expiresAt = payload.readUInt32BE(1);
  const role = ROLES_BY_CODE[payload.readUInt8(5)];
  const match = /^(\d{1,19})\.(\d{1,19})(?:\.(p?)(\d{1,19}))?$/.exec(payload.subarray(6).toString('latin1'));
  if (
    payload.readUInt8(0) !== TRANSFER_TOKEN_VERSION ||
    !role ||
    !match?.[1] ||
    !match[2] ||
    expiresAt * 1000 <= now
  ) {
    return undefined;
  }
  const claims: TransferClaims = { userId: match[1], projectId: match[2], role, expiresAt };
  if (match[4] && match[3] === 'p') {
    claims.parentPlatformTokenId = match[4];
  } else if (match[4]) {
    claims.parentTokenId = match[4];
  }
  return claims;
}

/** Whether the token's HMAC is the API's (what the API checks; only the API holds the key). */
export function hasValidTransferMac(parsed: ParsedTransferToken, macKey: Buffer): boolean {
  return timingSafeEqual(parsed.mac, macOf(macKey, parsed.payload));
}

/** Whether the token's Ed25519 signature is the API's for this binding (what the proxy checks with the public key). */
export function hasValidTransferSignature(
  parsed: ParsedTransferToken,
  binding: TransferBinding,
  verifyingKey: KeyObject,
): boolean {
  try {
    return verify(null, signedMessage(parsed.payload, binding), verifyingKey, parsed.signature);
  } catch {
    return false;
  }
}
