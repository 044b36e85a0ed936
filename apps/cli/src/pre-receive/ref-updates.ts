import { CliError } from '../cli.errors.js';

/** One line of a pre-receive hook's standard input: `<old> <new> <ref>` (githooks(5)). */
export interface RefUpdate {
  oldId: string;
  newId: string;
  ref: string;
}

const ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The all-zero id git uses for "no object" (a ref being created or deleted), in SHA-1 or SHA-256 length. */
export function isNullId(id: string): boolean {
  return /^0+$/.test(id);
}

/** Parses the hook's standard input; a malformed line stops the hook rather than being skipped. */
export function parseRefUpdates(input: string): RefUpdate[] {
  return input
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [oldId = '', newId = '', ...refParts] = line.split(' ');
      const ref = refParts.join(' ');
      if (!ID.test(oldId) || !ID.test(newId) || ref === '') {
        throw new CliError(`unexpected line on standard input: '${line}' (expected '<old> <new> <ref>')`);
      }
      return { oldId, newId, ref };
    });
}
