import fc from 'fast-check';

/**
 * Keys a hostile body might use: the fields our request parsers read, and names that live on Object.prototype. One
 * list for the parsers' property spec and the deployment fuzzer, so that a field a parser starts reading is tried by
 * both.
 */
export const HOSTILE_KEYS = [
  'operation',
  'objects',
  'oid',
  'size',
  'hash_algo',
  'transfers',
  'ref',
  'name',
  'path',
  'cursor',
  'limit',
  'force',
  'id',
  'refspec',
  'username',
  'password',
  'admin',
  'expires_at',
  'visibility',
  'quota_bytes',
  'role',
  'changes',
  'paths',
  'pointers',
  'projects',
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'length',
] as const;

/** An object literal as the wire has it: parsed, so a `__proto__` key stays an own property. */
export function wireObject(entries: [string, unknown][]): unknown {
  return JSON.parse(
    `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`,
  );
}

/** Any JSON value, as JSON.parse would make it, with edge numbers and strings and objects of HOSTILE_KEYS. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      1e308,
      Number.MAX_SAFE_INTEGER + 2,
      '',
      '\u0000',
      'a'.repeat(64),
    ),
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string()), tie('value')), {
        maxLength: 6,
      })
      .map(wireObject),
  ),
})).value;

/** Either a plausible value for a field (`weight` times as often) or any JSON at all. */
export function plausibleOrAnyJson(plausible: fc.Arbitrary<unknown>, weight: number): fc.Arbitrary<unknown> {
  return fc.oneof({ weight, arbitrary: plausible }, { weight: 1, arbitrary: anyJson });
}

/** A JSON object with these fields, each present or not, plus a stray hostile key or two; sometimes any JSON. */
export function shapedJson(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: anyJson },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.record(fields, { requiredKeys: [] }),
          fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), anyJson), { maxLength: 2 }),
        )
        .map(([known, extra]) => wireObject([...Object.entries(known), ...extra])),
    },
  );
}
