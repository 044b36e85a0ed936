import { hash, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * Download grants: the API's proof, made once per batch, that a project linked each object of the batch's download
 * actions when the batch was answered. The API builds a Merkle tree over the (oid, size) pairs, signs its root once
 * with the transfer tokens' Ed25519 key, and gives each action its own path to the root. The proxy, which holds only
 * the public key, checks the path and the signature (the latter once per batch) instead of asking the API per object,
 * and can make no grant of its own.
 *
 * Tree: a leaf is an object's raw oid (32 bytes) and size (8 bytes, big-endian); the first level hashes pairs of
 * leaves (a lone leaf alone) under tag 1, every level above pairs of 32-byte nodes under tag 2, and a lone node is
 * carried up unchanged. Leaves are not hashed by themselves, which halves the hashing a batch costs; the tags and
 * the fixed lengths keep a leaf from passing for a node. The signed count fixes the tree's shape, so an index has
 * exactly one path.
 */

/** First part of every grant value: its format. */
export const DOWNLOAD_GRANT_VERSION = '1';
const SIGNATURE_CONTEXT = 'lfs-depot download grant v1\n';
const LEAF_BYTES = 40;
const NODE_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** A batch holds at most MAX_OBJECTS_PER_BATCH objects; this bounds the work a hostile value can ask for. */
const MAX_COUNT = 1 << 20;
const MAX_GRANT_LENGTH = 2048;

/** What a grant's signature binds besides the tree: the proxy checks each from the request and its token. */
export interface DownloadGrantClaims {
  /** The project path of the URLs it is used on. */
  projectPath: string;
  /** The user of the transfer token beside it. */
  userId: string;
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
  index: number;
  size: number;
  /** base64url, as sent: what remembered signatures are looked up by. */
  signature: string;
  siblings: Buffer;
}

function writeLeaf(target: Buffer, offset: number, oid: string, size: number): void {
  target.write(oid, offset, NODE_BYTES, 'hex');
  target.writeUInt32BE(Math.floor(size / 0x1_0000_0000), offset + NODE_BYTES);
  target.writeUInt32BE(size >>> 0, offset + NODE_BYTES + 4);
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
  // Newlines separate the parts: neither a project path nor a user id can hold one.
  return Buffer.concat([
    Buffer.from(
      `${SIGNATURE_CONTEXT}${claims.projectPath}\n${claims.userId}\n${claims.issuedAt}\n${claims.expiresAt}\n${count}\n`,
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
  const first = Buffer.allocUnsafe(1 + 2 * LEAF_BYTES);
  first[0] = 1;
  for (let i = 0; i < count; i += 2) {
    const pair = i + 1 < count ? 2 : 1;
    leaves.copy(first, 1, i * LEAF_BYTES, (i + pair) * LEAF_BYTES);
    nodes.set(hash('sha256', first.subarray(0, 1 + pair * LEAF_BYTES), 'buffer'), (i >> 1) * NODE_BYTES);
  }
  const upper = Buffer.allocUnsafe(1 + 2 * NODE_BYTES);
  upper[0] = 2;
  const starts = [0];
  for (let level = 1; level < counts.length - 1; level += 1) {
    const n = counts[level];
    const start = starts[level - 1];
    const next = start + n;
    starts.push(next);
    for (let i = 0; i < n; i += 2) {
      const target = (next + (i >> 1)) * NODE_BYTES;
      if (i + 1 < n) {
        nodes.copy(upper, 1, (start + i) * NODE_BYTES, (start + i + 2) * NODE_BYTES);
        nodes.set(hash('sha256', upper, 'buffer'), target);
      } else {
        nodes.copy(nodes, target, (start + i) * NODE_BYTES, (start + i + 1) * NODE_BYTES);
      }
    }
  }
  const rootStart = starts[counts.length - 2] * NODE_BYTES;
  const root = nodes.subarray(rootStart, rootStart + NODE_BYTES);
  const signature = sign(null, signedMessage(claims, count, root), signingKey).toString('base64url');
  const shared = `${DOWNLOAD_GRANT_VERSION}.${claims.issuedAt}.${claims.expiresAt}.${count}.${signature}.`;
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
  if (parts.length !== 8 || parts[0] !== DOWNLOAD_GRANT_VERSION) {
    return undefined;
  }
  const [, issuedAt, expiresAt, count, signature, index, size, siblings] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (![issuedAt, expiresAt, count, index, size].every((part) => INTEGER.test(part))) {
    return undefined;
  }
  const parsed: ParsedDownloadGrant = {
    issuedAt: Number(issuedAt),
    expiresAt: Number(expiresAt),
    count: Number(count),
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

/** The root that `parsed`'s path leads to from the leaf (`oid`, its size); undefined when the path has the wrong shape. */
export function downloadGrantRoot(parsed: ParsedDownloadGrant, oid: string): Buffer | undefined {
  const { count, index, siblings } = parsed;
  const counts = levelCounts(count);
  let offset = 0;
  const first = Buffer.allocUnsafe(1 + 2 * LEAF_BYTES);
  first[0] = 1;
  let length = 1 + LEAF_BYTES;
  if ((index ^ 1) < count) {
    if (siblings.length < LEAF_BYTES) {
      return undefined;
    }
    const own = index % 2 === 0 ? 1 : 1 + LEAF_BYTES;
    writeLeaf(first, own, oid, parsed.size);
    siblings.copy(first, own === 1 ? 1 + LEAF_BYTES : 1, 0, LEAF_BYTES);
    offset = LEAF_BYTES;
    length += LEAF_BYTES;
  } else {
    writeLeaf(first, 1, oid, parsed.size);
  }
  let node = hash('sha256', first.subarray(0, length), 'buffer');
  const upper = Buffer.allocUnsafe(1 + 2 * NODE_BYTES);
  upper[0] = 2;
  let i = index >> 1;
  for (let level = 1; level < counts.length - 1; level += 1) {
    const other = i ^ 1;
    if (other < counts[level]) {
      if (siblings.length < offset + NODE_BYTES) {
        return undefined;
      }
      const mine = i % 2 === 0 ? 1 : 1 + NODE_BYTES;
      upper.set(node, mine);
      siblings.copy(upper, mine === 1 ? 1 + NODE_BYTES : 1, offset, offset + NODE_BYTES);
      offset += NODE_BYTES;
      node = hash('sha256', upper, 'buffer');
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
