/**
 * LFS endpoints live below a project path of any depth: `/{group/sub/name}[.git]/info/lfs/...`.
 * Returns the project path (without `.git`) and the LFS sub-path, or undefined for other URLs.
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
  return { project, rest: match[2] ?? '/' };
}

/** Whether a request path is an LFS route (errors there use the Git LFS media type). */
export function isLfsPath(urlPath: string): boolean {
  return parseLfsPath(urlPath) !== undefined;
}
