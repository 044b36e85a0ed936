import { isIPv6 } from 'node:net';

import { ErrorCode } from '@lfs-depot/contracts';

import type { InFlightLimiter } from '../http/in-flight-limiter.js';

/** Why a download was not let in: the JSON error it gets and the reason its transfer line gives. */
export interface DownloadRefusal {
  code: typeof ErrorCode.TOO_MANY_DOWNLOADS | typeof ErrorCode.SERVICE_UNAVAILABLE;
  message: string;
  reason: string;
}

/**
 * Whose downloads one counts against MAX_DOWNLOADS_PER_USER: the user's, or an anonymous reader's address. An IPv6
 * reader counts by its /64, the block one machine or home network is given, so that walking through the addresses
 * of its own block buys it no more downloads.
 */
export function downloaderOf(user: string | undefined, client: string | undefined): string {
  if (user !== undefined) {
    return `user ${user}`;
  }
  return `address ${client !== undefined && isIPv6(client) ? ipv6Block64(client) : (client ?? '')}`;
}

/** The first four groups of an IPv6 address, written out in full (`2001:db8:0:0::/64`); IPv4-mapped ones unchanged. */
export function ipv6Block64(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) {
    return lower;
  }
  const [head = '', tail] = lower.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Takes a place among the downloads in progress: the function that gives it back, or the refusal when the
 * downloader is at MAX_DOWNLOADS_PER_USER (429, theirs to wait for) or the proxy at MAX_DOWNLOADS_IN_FLIGHT (503).
 */
export function admitDownload(
  downloads: InFlightLimiter,
  downloader: string,
): { release: () => void } | { refused: DownloadRefusal } {
  const release = downloads.tryAcquire(downloader);
  if (release) {
    return { release };
  }
  if (downloads.inFlightFor(downloader) >= downloads.limits.perClient) {
    return {
      refused: {
        code: ErrorCode.TOO_MANY_DOWNLOADS,
        message: `You have ${downloads.limits.perClient} downloads in progress already (the most at once); try again when one is done`,
        reason: 'the user has MAX_DOWNLOADS_PER_USER downloads in progress',
      },
    };
  }
  return {
    refused: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      message: `This server is sending ${downloads.limits.total} downloads already (the most at once); try again shortly`,
      reason: 'the proxy has MAX_DOWNLOADS_IN_FLIGHT downloads in progress',
    },
  };
}
