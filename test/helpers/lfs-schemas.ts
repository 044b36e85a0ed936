import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import AjvDraft04 from 'ajv-draft-04';

// A CommonJS package whose class is its `default` export; under NodeNext the import is the module object.
const Ajv = AjvDraft04.default;

/**
 * The official Git LFS API JSON Schemas live in the shared folder beside the checkout (they are not ours to copy
 * into this repository). LFS_API_SCHEMAS_DIR overrides the location.
 */
function schemasDir(): string {
  const dir =
    process.env.LFS_API_SCHEMAS_DIR ?? path.resolve(process.cwd(), '..', 'shared', 'git-lfs-api-schemas');
  if (!existsSync(dir)) {
    throw new Error(
      `Git LFS API schemas not found in ${dir}; set LFS_API_SCHEMAS_DIR to the folder that holds them`,
    );
  }
  return dir;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ReturnType<typeof ajv.compile>>();

/** Validates `value` against one of the published schemas; returns the list of problems (empty when valid). */
export function validateAgainstSchema(file: string, value: unknown): string[] {
  let validate = cache.get(file);
  if (!validate) {
    const schema = JSON.parse(readFileSync(path.join(schemasDir(), file), 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    validate = ajv.compile(schema);
    cache.set(file, validate);
  }
  return validate(value)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}
