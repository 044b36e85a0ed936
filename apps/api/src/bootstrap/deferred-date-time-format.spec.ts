import { afterAll, describe, expect, it } from '@jest/globals';

const LoadedDateTimeFormat = Intl.DateTimeFormat;
const { restoreDateTimeFormat } = await import('./deferred-date-time-format.js');

const OPTIONS: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: 'numeric',
  minute: 'numeric',
  timeZone: 'UTC',
};
const DATE = Date.UTC(2026, 11, 1, 19, 13);

describe('deferred Intl.DateTimeFormat', () => {
  afterAll(() => {
    restoreDateTimeFormat();
  });

  it('returns formatters that format, and resolve their options, as the real ones do', () => {
    const deferred = new Intl.DateTimeFormat('en-US', OPTIONS);
    const real = new LoadedDateTimeFormat('en-US', OPTIONS);
    expect(Intl.DateTimeFormat).not.toBe(LoadedDateTimeFormat);
    expect(deferred).toBeInstanceOf(LoadedDateTimeFormat);
    expect(deferred.format(DATE)).toBe(real.format(DATE));
    expect(deferred.formatToParts(DATE)).toEqual(real.formatToParts(DATE));
    expect(deferred.formatRange(DATE, DATE + 86_400_000)).toBe(real.formatRange(DATE, DATE + 86_400_000));
    expect(deferred.resolvedOptions()).toEqual(real.resolvedOptions());
  });

  it('puts the real constructor back when restored', () => {
    restoreDateTimeFormat();
    expect(Intl.DateTimeFormat).toBe(LoadedDateTimeFormat);
  });
});
