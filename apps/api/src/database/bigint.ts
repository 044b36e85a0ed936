import type { ValueTransformer } from 'typeorm';

/** Parses a Postgres int8 (returned as a string by pg) into a JS number, refusing values it can't hold exactly. */
export function parseInt8(value: string | number): number {
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(parsed)) {
    throw new RangeError(`int8 value ${value} is outside the safe integer range`);
  }
  return parsed;
}

/** Column transformer for bigint counters and sizes: the one place they become numbers. */
export const bigintToNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : parseInt8(value)),
};
