/**
 * Words that mark a value someone was meant to replace (docker-compose.yml shipped `change-me-…` ones). Compared
 * with letters and digits only, lower-cased, so `Change_Me`, `change-me` and `changeme` are all caught. Each is long
 * enough that a random secret contains it by chance practically never.
 */
const PLACEHOLDER_MARKERS = [
  'changeme',
  'replaceme',
  'placeholder',
  'example',
  'yoursecret',
  'yourtoken',
  'secretgoeshere',
  'tokengoeshere',
  'secrethere',
  'tokenhere',
  'insertsecret',
  'inserttoken',
  'generateone',
];

/** How to make a good one, named in every refusal. */
export const SECRET_ADVICE = 'generate one with `openssl rand -base64 32`';

function poolBits(value: string): number {
  let pool = 0;
  if (/[a-z]/.test(value)) {
    pool += 26;
  }
  if (/[A-Z]/.test(value)) {
    pool += 26;
  }
  if (/[0-9]/.test(value)) {
    pool += 10;
  }
  if (/[^a-zA-Z0-9]/.test(value)) {
    pool += 32;
  }
  return Math.log2(Math.max(pool, 2));
}

/** The shortest unit the whole value repeats (`abcabcabc` → 3), or its length when it repeats nothing. */
function period(value: string): number {
  for (let unit = 1; unit <= value.length / 2; unit += 1) {
    let repeats = true;
    for (let i = unit; i < value.length && repeats; i += 1) {
      repeats = value[i] === value[i - unit];
    }
    if (repeats) {
      return unit;
    }
  }
  return value.length;
}

/**
 * A deliberately rough, conservative estimate of the bits an attacker must guess: the character classes used give
 * the bits per character, a character that repeats or continues a run of its predecessor (`aaaa`, `1234`, `abcd`)
 * counts one bit, a value that repeats a shorter unit counts as that unit, and a handful of distinct characters
 * caps the total. It cannot see dictionary words; the placeholder list catches the shipped ones.
 */
export function estimateSecretBits(value: string): number {
  const unit = value.slice(0, period(value));
  const perCharacter = poolBits(unit);
  let bits = 0;
  for (let i = 0; i < unit.length; i += 1) {
    const step = i === 0 ? Number.NaN : unit.charCodeAt(i) - unit.charCodeAt(i - 1);
    bits += Math.abs(step) <= 1 ? 1 : perCharacter;
  }
  const distinct = new Set(unit).size;
  if (distinct <= 4) {
    bits = Math.min(bits, unit.length * Math.log2(Math.max(distinct, 1)));
  }
  return Math.floor(bits);
}

/** Why `value` is unfit as the secret named `name`, or undefined when it is fit. */
export function secretProblem(
  name: string,
  value: string,
  rules: { minLength: number; minBits: number },
): string | undefined {
  const letters = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  const marker = PLACEHOLDER_MARKERS.find((word) => letters.includes(word));
  if (marker !== undefined) {
    return `${name} is a placeholder (it contains "${marker}"), not a secret: ${SECRET_ADVICE}`;
  }
  if (value.length < rules.minLength) {
    return `${name} must be at least ${rules.minLength} characters long: ${SECRET_ADVICE}`;
  }
  const bits = estimateSecretBits(value);
  if (bits < rules.minBits) {
    return (
      `${name} is too easy to guess (about ${bits} bits of entropy, at least ${rules.minBits} needed; ` +
      `repeated, sequential or few distinct characters): ${SECRET_ADVICE}`
    );
  }
  return undefined;
}
