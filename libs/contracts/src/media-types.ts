/** The media type of every Git LFS JSON request and response (batch.md, locking.md). */
export const LFS_MEDIA_TYPE = 'application/vnd.git-lfs+json';

/**
 * The content type of the API's answer to an internal authorize call. A distinct vendor type lets the proxy
 * tell a real authorization from a misrouted or relayed error page, as GitLab Workhorse does.
 */
export const INTERNAL_AUTHORIZE_MEDIA_TYPE = 'application/vnd.lfs-depot.authorize+json';

/** Returns whether an Accept or Content-Type header value names the Git LFS media type (parameters ignored). */
export function isLfsMediaType(headerValue: string | undefined): boolean {
  if (!headerValue) {
    return false;
  }
  return headerValue.split(',').some((part) => part.split(';')[0]?.trim().toLowerCase() === LFS_MEDIA_TYPE);
}
