import { hash, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { parseTransferPayload } from './transfer-token.js';
import type { TransferClaims } from './transfer-token.js';

/**
 * Download grants: the API's proof, made once per batch, that a project linked each object of the batch's download
 * actions when the batch was answered, and the credential the download is made with. The API builds a Merkle tree
 * over the (oid, size) pairs, signs its root once with the transfer tokens' Ed25519 key together with the claims of
 * the batch's transfer token, and gives each action its own path to the root. The proxy, which holds only the public
 * key, checks the path and the signature (the latter once per batch) instead of asking the API per object, and can
 * make no grant of its own. A download action carries its grant and nothing else: the signed claims say who the
 * reader is, so no transfer token goes beside it (half the bytes of a download answer; bench/README.md).
 *
 * Tree: a leaf is an object's raw oid (32 bytes) and size (8 bytes, big-endian); the first level hashes pairs of
 * leaves (a lone leaf alone) under tag 1, every level above pairs of nodes under tag 2, and a lone node is carried up
 * unchanged. Every hash input starts with a random 16-byte salt the API draws for the tree, and a node is the first 16
 * bytes of its SHA-256. A reader chooses the objects of a batch (and, with write access, their contents) and a path's
 * sibling bytes, so without the salt a collision between two nodes (2^64 work) would let a path prove an object of
 * another project; with it, every node of a signed tree was fixed before the salt was known, and forging a path takes
 * a second preimage of one (2^128). Leaves are not hashed by themselves,
 * which halves the hashing a batch costs; the tags and the fixed lengths keep a leaf from passing for a node. The
 * signed count fixes the tree's shape, so an index has exactly one path.
 */

/**
 * First part of every grant value: its format. Version 1 (32-byte nodes, a transfer token beside it) is no longer
 * made; the proxy sends a download with one to the API's authorize, on the token beside it.
 */
export const DOWNLOAD_GRANT_VERSION = '2';
const SIGNATURE_CONTEXT = 'lfs-depot download grant v2\n';
const OID_BYTES = 32;
const LEAF_BYTES = OID_BYTES + 8;
const NODE_BYTES = 16;
const SALT_BYTES = 16;
/** Where a node's hash input starts after its salt: the tag byte. */
const TAG = SALT_BYTES;
const SIGNATURE_BYTES = 64;
/** A batch holds at most MAX_OBJECTS_PER_BATCH objects; this bounds the work a hostile value can ask for. */
const MAX_COUNT = 1 << 20;
const MAX_GRANT_LENGTH = 2048;
const CREDENTIAL = /^[A-Za-z0-9_-]{12,96}$/;
const SALT = /^[A-Za-z0-9_-]{22}$/;
const OID = /^[0-9a-f]{64}$/;

/** What a grant's signature binds besides the tree: the project from the request, the rest carried in the grant. */
export interface DownloadGrantClaims {
  /** The project path of the URLs it is used on. */
  projectPath: string;
  /**
   * The claims of the transfer token the batch's actions would otherwise carry (transferTokenPayload): who reads,
   * through which parent credential, until when. The API checks them again as it checks the token's.
   */
  credential: string;
  /** When the API looked the links up (ms since the epoch, taken before the lookup). */
  issuedAt: number;
  /** Unix seconds; never past the transfer token's own expiry. */
  expiresAt: number;
}

export interface GrantedObject {
  oid: string;
  size: number;
}

/** A grant value taken apart, before anything about it is believed. */
export interface ParsedDownloadGrant {
  issuedAt: number;
  expiresAt: number;
  count: number;
  /** As signed: parseTransferPayload reads it. */
  credential: string;
  /** The tree's salt, SALT_BYTES. */
  salt: Buffer;
  index: number;
  size: number;
  /** base64url, as sent: what remembered signatures are looked up by. */
  signature: string;
  siblings: Buffer;
}

/** A node: the first NODE_BYTES of its input's SHA-256. */
function nodeHash(input: Buffer): Buffer {
  return hash('sha256', input, 'buffer').subarray(0, NODE_BYTES);
}

function writeLeaf(target: Buffer, offset: number, oid: string, size: number): void {
  target.write(oid, offset, OID_BYTES, 'hex');
  target.writeUInt32BE(Math.floor(size / 0x1_0000_0000), offset + OID_BYTES);
  target.writeUInt32BE(size >>> 0, offset + OID_BYTES + 4);
}

/** Node counts per level, leaves first, root (1) last. */
function levelCounts(count: number): number[] {
  const counts = [count];
  for (let n = count; n > 1;) {
    n = Math.ceil(n / 2);
    counts.push(n);
  }
  if (count === 1) {
    counts.push(1);
  }
  return counts;
}

function signedMessage(claims: DownloadGrantClaims, count: number, root: Buffer): Buffer {
  // The root is the salt's: a grant with another salt leads elsewhere, so the salt needs no place of its own here.
  // Newlines separate the parts: neither a project path nor a credential (base64url) can hold one.
  return Buffer.concat([
    Buffer.from(
      `${SIGNATURE_CONTEXT}${claims.projectPath}\n${claims.credential}\n${claims.issuedAt}\n${claims.expiresAt}\n${count}\n`,
      'utf8',
    ),
    root,
  ]);
}

/**
 * One grant value per object, in the order given (each object's oid must be a valid sha256 and its size a safe
 * non-negative integer): the shared, signed part and the object's own path to the root.
 */
export function signDownloadGrants(
  claims: DownloadGrantClaims,
  objects: readonly GrantedObject[],
  signingKey: KeyObject,
): string[] {
  const count = objects.length;
  if (count === 0) {
    return [];
  }
  const counts = levelCounts(count);
  const leaves = Buffer.allocUnsafe(count * LEAF_BYTES);
  for (let i = 0; i < count; i += 1) {
    const object = objects[i];
    writeLeaf(leaves, i * LEAF_BYTES, object.oid, object.size);
  }
  // Every node above the leaves, level after level, in one buffer.
  const nodes = Buffer.allocUnsafe((counts.slice(1).reduce((sum, n) => sum + n, 0) || 1) * NODE_BYTES);
  const salt = randomBytes(SALT_BYTES);
  const first = Buffer.allocUnsafe(TAG + 1 + 2 * LEAF_BYTES);
  salt.copy(first);
  first[TAG] = 1;
  for (let i = 0; i < count; i += 2) {
    const pair = i + 1 < count ? 2 : 1;
    leaves.copy(first, TAG + 1, i * LEAF_BYTES, (i + pair) * LEAF_BYTES);
    nodes.set(nodeHash(first.subarray(0, TAG + 1 + pair * LEAF_BYTES)), (i >> 1) * NODE_BYTES);
  }
  const upper = Buffer.allocUnsafe(TAG + 1 + 2 * NODE_BYTES);
  salt.copy(upper);
  upper[TAG] = 2;
  const starts = [0];
  for (let level = 1; level < counts.length - 1; level += 1) {
    const n = counts[level];
    const start = starts[level - 1];
    const next = start + n;
    starts.push(next);
    for (let i = 0; i < n; i += 2) {
      const target = (next + (i >> 1)) * NODE_BYTES;
      if (i + 1 < n) {
        nodes.copy(upper, TAG + 1, (start + i) * NODE_BYTES, (start + i + 2) * NODE_BYTES);
        nodes.set(nodeHash(upper), target);
      } else {
        nodes.copy(nodes, target, (start + i) * NODE_BYTES, (start + i + 1) * NODE_BYTES);
      }
    }
  }
  const rootStart = starts[counts.length - 2] * NODE_BYTES;
  const root = nodes.subarray(rootStart, rootStart + NODE_BYTES);
  const signature = sign(null, signedMessage(claims, count, root), signingKey).toString('base64url');
  const shared = `${DOWNLOAD_GRANT_VERSION}.${claims.issuedAt}.${claims.expiresAt}.${count}.${claims.credential}.${salt.toString('base64url')}.${signature}.`;
  const proof = Buffer.allocUnsafe(LEAF_BYTES + counts.length * NODE_BYTES);
  const grants = new Array<string>(count);
  for (let index = 0; index < count; index += 1) {
    let length = 0;
    const sibling = index ^ 1;
    if (sibling < count) {
      length += leaves.copy(proof, 0, sibling * LEAF_BYTES, (sibling + 1) * LEAF_BYTES);
    }
    let i = index >> 1;
    for (let level = 1; level < counts.length - 1; level += 1) {
      const other = i ^ 1;
      if (other < counts[level]) {
        const start = starts[level - 1] + other;
        length += nodes.copy(proof, length, start * NODE_BYTES, (start + 1) * NODE_BYTES);
      }
      i >>= 1;
    }
    grants[index] = `${shared}${index}.${objects[index].size}.${proof.toString('base64url', 0, length)}`;
  }
  return grants;
}

const INTEGER = /^(?:0|[1-9]\d{0,15})$/;

/** Takes a grant value apart; undefined when it is malformed or of another format. */
export function parseDownloadGrant(value: string): ParsedDownloadGrant | undefined {
  if (value.length > MAX_GRANT_LENGTH) {
    return undefined;
  }
  const parts = value.split('.');
  if (parts.length !== 10 || parts[0] !== DOWNLOAD_GRANT_VERSION) {
    return undefined;
  }
  const [, issuedAt, expiresAt, count, credential, salt, signature, index, size, siblings] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (
    ![issuedAt, expiresAt, count, index, size].every((part) => INTEGER.test(part)) ||
    !CREDENTIAL.test(credential) ||
    !SALT.test(salt)
  ) {
    return undefined;
  }
  const parsed: ParsedDownloadGrant = {
    issuedAt: Number(issuedAt),
    expiresAt: Number(expiresAt),
    count: Number(count),
    credential,
    salt: Buffer.from(salt, 'base64url'),
    index: Number(index),
    size: Number(size),
    signature,
    siblings: Buffer.from(siblings, 'base64url'),
  };
  if (
    parsed.count < 1 ||
    parsed.count > MAX_COUNT ||
    parsed.index >= parsed.count ||
    !Number.isSafeInteger(parsed.size) ||
    Buffer.byteLength(signature, 'base64url') !== SIGNATURE_BYTES
  ) {
    return undefined;
  }
  return parsed;
}

/**
 * The root that `parsed`'s path leads to from the leaf (`oid`, its size); undefined when the path has the wrong shape
 * or `oid` is not a sha256 in lowercase hex (every one of its bytes is in the leaf).
 */
export function downloadGrantRoot(parsed: ParsedDownloadGrant, oid: string): Buffer | undefined {
  const { count, index, siblings, salt } = parsed;
  if (!OID.test(oid) || salt.length !== SALT_BYTES) {
    return undefined;
  }
  const counts = levelCounts(count);
  let offset = 0;
  const first = Buffer.allocUnsafe(TAG + 1 + 2 * LEAF_BYTES);
  salt.copy(first);
  first[TAG] = 1;
  let length = TAG + 1 + LEAF_BYTES;
  if ((index ^ 1) < count) {
    if (siblings.length < LEAF_BYTES) {
      return undefined;
    }
    const own = index % 2 === 0 ? TAG + 1 : TAG + 1 + LEAF_BYTES;
    writeLeaf(first, own, oid, parsed.size);
    siblings.copy(first, own === TAG + 1 ? TAG + 1 + LEAF_BYTES : TAG + 1, 0, LEAF_BYTES);
    offset = LEAF_BYTES;
    length += LEAF_BYTES;
  } else {
    writeLeaf(first, TAG + 1, oid, parsed.size);
  }
  let node = nodeHash(first.subarray(0, length));
  const upper = Buffer.allocUnsafe(TAG + 1 + 2 * NODE_BYTES);
  salt.copy(upper);
  upper[TAG] = 2;
  let i = index >> 1;
  for (let level = 1; level < counts.length - 1; level += 1) {
    const other = i ^ 1;
    if (other < counts[level]) {
      if (siblings.length < offset + NODE_BYTES) {
        return undefined;
      }
      const mine = i % 2 === 0 ? TAG + 1 : TAG + 1 + NODE_BYTES;
      upper.set(node, mine);
      siblings.copy(upper, mine === TAG + 1 ? TAG + 1 + NODE_BYTES : TAG + 1, offset, offset + NODE_BYTES);
      offset += NODE_BYTES;
      node = nodeHash(upper);
    }
    i >>= 1;
  }
  return offset === siblings.length ? node : undefined;
}

/** Whether the API signed this root for these claims (what the proxy checks with the public key). */
export function hasValidDownloadGrantSignature(
  claims: DownloadGrantClaims,
  count: number,
  root: Buffer,
  signature: string,
  verifyingKey: KeyObject,
): boolean {
  try {
    return verify(
      null,
      signedMessage(claims, count, root),
      verifyingKey,
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

/** What checking a grant for one object found. */
export type DownloadGrantCheck =
  | { valid: true; grant: ParsedDownloadGrant; claims: TransferClaims }
  | {
      valid: false;
      /** `malformed`: not a grant of this format; `expired`: it or its credential; the others: it proves nothing. */
      reason: 'malformed' | 'expired' | 'path' | 'signature';
    };

/** Signatures found valid, remembered: a few short strings each; the oldest go first. */
const VERIFIED_SIGNATURE_ENTRIES = 4096;

/**
 * Checks grant values for one object each, as the proxy does before serving on one and the API when it is asked:
 * the value's form, its expiry and its credential's, the path from the object, and the API's signature over the
 * root, the project and the credential. Signatures found valid are remembered with what they were valid for, so a
 * batch's one signature is verified once rather than per object.
 */
export class DownloadGrantChecker {
  private readonly verified = new Map<string, string>();

  constructor(private readonly maxEntries = VERIFIED_SIGNATURE_ENTRIES) {}

  check(value: string, oid: string, projectPath: string, key: KeyObject, now: number): DownloadGrantCheck {
    const grant = parseDownloadGrant(value);
    if (!grant) {
      return { valid: false, reason: 'malformed' };
    }
    // Read as of the epoch: whether it is a credential at all; its expiry is judged next, with the grant's.
    const claims = parseTransferPayload(grant.credential, 0);
    if (!claims) {
      return { valid: false, reason: 'malformed' };
    }
    if (grant.expiresAt * 1000 <= now || claims.expiresAt * 1000 <= now) {
      return { valid: false, reason: 'expired' };
    }
    const root = downloadGrantRoot(grant, oid);
    if (!root) {
      return { valid: false, reason: 'path' };
    }
    const { credential, issuedAt, expiresAt, count, signature } = grant;
    const signed = `${projectPath}\n${credential}\n${issuedAt}\n${expiresAt}\n${count}\n${root.toString('hex')}`;
    if (this.verified.get(signature) !== signed) {
      const bound = { projectPath, credential, issuedAt, expiresAt };
      if (!hasValidDownloadGrantSignature(bound, count, root, signature, key)) {
        return { valid: false, reason: 'signature' };
      }
      this.verified.delete(signature);
      this.verified.set(signature, signed);
      if (this.verified.size > this.maxEntries) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) {
          this.verified.delete(oldest);
        }
      }
    }
    return { valid: true, grant, claims };
  }
}
