import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The lfs-depot checkout that holds this module: the nearest folder above it whose package.json is lfs-depot's.
 * Found from the module's own location (dist/apps/cli/src once built, apps/cli/src under the tests), which
 * bin/lfs-depot reaches through any symlink, so it does not depend on the folder the CLI is run from.
 */
export function findInstallDir(moduleUrl: string = import.meta.url): string | undefined {
  for (let dir = dirname(fileURLToPath(moduleUrl)); ; dir = dirname(dir)) {
    if (isLfsDepotPackage(join(dir, 'package.json'))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      return undefined;
    }
  }
}

function isLfsDepotPackage(file: string): boolean {
  if (!existsSync(file)) {
    return false;
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'lfs-depot';
  } catch {
    return false;
  }
}
