/**
 * One to ten segments of letters, digits, `.`, `_`, `-`; no segment starts with `.` or `-`, none ends in `.git`, and
 * no `info` segment is followed by `lfs`: LFS URLs are `/{project}/info/lfs/…`, and `team/info/lfs/x` would read as
 * project `team`.
 */
export const PROJECT_PATH_PATTERN =
  /^(?!.*\.git(?:\/|$))(?!(?:.*\/)?info\/lfs(?:\/|$))[A-Za-z0-9_][A-Za-z0-9._-]{0,99}(?:\/[A-Za-z0-9_][A-Za-z0-9._-]{0,99}){0,9}$/;

const HAS_LFS_SEGMENTS = /(?:^|\/)info\/lfs(?:\/|$)/;

/**
 * LFS endpoints live below a project path of any depth: `/{group/sub/name}[.git]/info/lfs/...`.
 * Returns the project path (without `.git`) and the LFS sub-path, or undefined for other URLs: those naming no
 * project a valid path could name (an `info/lfs` pair inside it, which would make `team/info/lfs/x` act on `team`,
 * or a NUL or other control character, which no project has and PostgreSQL would refuse).
 */
export function parseLfsPath(urlPath: string): { project: string; rest: string } | undefined {
  const match = /^\/(.+?)(?:\.git)?\/info\/lfs(\/.*)?$/.exec(urlPath);
  if (!match?.[1]) {
    return undefined;
  }
  let project: string;
  try {
    project = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  const rest = match[2] ?? '/';
  if (
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(project) ||
    HAS_LFS_SEGMENTS.test(project) ||
    HAS_LFS_SEGMENTS.test(rest)
  ) {
    return undefined;
  }
  return { project, rest };
}

/** Whether a request path is an LFS route (errors there use the Git LFS media type). */
export function isLfsPath(urlPath: string): boolean {
  return parseLfsPath(urlPath) !== undefined;
}
