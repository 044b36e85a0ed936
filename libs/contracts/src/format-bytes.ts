const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** A byte count for people, in powers of 1024 with up to three significant digits: `512 bytes`, `1.17 KiB`, `10 GiB`. */
export function formatBytes(bytes: number): string {
  let unit = 0;
  while (unit < UNITS.length - 1 && bytes >= 1024 ** (unit + 1)) {
    unit++;
  }
  if (unit === 0) {
    return `${bytes} bytes`;
  }
  const rounded = (value: number) => Number(value.toFixed(value < 10 ? 2 : 1));
  let value = rounded(bytes / 1024 ** unit);
  // 1023.96 KiB rounds to 1024 KiB; say 1 MiB instead.
  if (value >= 1024 && unit < UNITS.length - 1) {
    unit++;
    value = rounded(bytes / 1024 ** unit);
  }
  return `${value} ${UNITS[unit]}`;
}
