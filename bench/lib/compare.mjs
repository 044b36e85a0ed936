// What the side-by-side comparison tools (bench/compare-*.mjs) share: their command line, their work folder and the
// clean-up of the builds they started.
import os from 'node:os';
import path from 'node:path';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';

/**
 * Reads `--name value` numeric options out of the command line, then takes the rest as builds to compare:
 * `name=checkout[,VAR=value…]`, each with the environment variables given after its path. Exits with `usage` when no
 * build is named.
 */
export function comparisonCommandLine(argv, defaults, usage) {
  const args = [...argv];
  const options = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    const at = args.indexOf(`--${name}`);
    options[name] = at === -1 ? fallback : Number(args.splice(at, 2)[1]);
  }
  const variants = args.map((arg) => {
    const [name, rest = ''] = arg.split(/=(.*)/s);
    const [root, ...vars] = rest.split(',');
    if (!name || !root) {
      throw new Error(`expected name=path[,VAR=value…], got '${arg}'`);
    }
    return { name, root: path.resolve(root), env: Object.fromEntries(vars.map((v) => v.split(/=(.*)/s))) };
  });
  if (variants.length === 0) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { options, variants };
}

/**
 * A fresh work folder and the list of started builds (`{ product }` each), with `cleanUp` stopping them all and
 * removing the folder, also on Ctrl-C.
 */
export async function comparisonWorkspace(prefix) {
  const workDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  // As root the embedded PostgreSQL runs as `postgres`, which must be able to traverse into DATA_DIR.
  await chmod(workDir, 0o755);
  const stacks = [];
  const cleanUp = async () => {
    for (const stack of stacks) {
      await stack.product.stop().catch(() => undefined);
    }
    await rm(workDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  return { workDir, stacks, cleanUp };
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** Starts one build as its own benchmark would (its bench/lib/product.mjs), with a data folder of its own. */
export async function startVariant(variant, workDir) {
  const lib = await import(path.join(variant.root, 'bench/lib/product.mjs'));
  const dataDir = path.join(workDir, variant.name);
  await mkdir(dataDir, { recursive: true });
  const product = await lib.startProduct({ name: variant.name, dataDir, env: variant.env, logDir: workDir });
  return { lib, product };
}
