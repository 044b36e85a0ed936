/** A LIKE pattern (with ESCAPE '\') matching text that starts with `prefix`, its own % and _ taken literally. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
