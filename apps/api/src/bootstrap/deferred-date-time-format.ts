// Imported first by main.ts, so that it runs before anything loads @nestjs/common. Nest's Logger and ConsoleLogger
// each build an Intl.DateTimeFormat when their modules are loaded, for the timestamps of lines this API never
// writes (its lines go through pino), and building one makes ICU load its locale, calendar and time zone data:
// about 6 MiB of the node binary and 2 MiB of heap, resident for good (bench/README.md, "Idle memory"). While
// modules load, a DateTimeFormat is therefore built on first use instead; main() restores the constructor.

const LoadedDateTimeFormat = Intl.DateTimeFormat;

/** A DateTimeFormat that builds the real one when it is first used (it is one: `instanceof` holds). */
function DeferredDateTimeFormat(
  locales?: string | string[],
  options?: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  let real: Intl.DateTimeFormat | undefined;
  const format = (): Intl.DateTimeFormat => (real ??= new LoadedDateTimeFormat(locales, options));
  const methods = {
    format: (date?: Date | number) => format().format(date),
    formatToParts: (date?: Date | number) => format().formatToParts(date),
    formatRange: (start: Date | number, end: Date | number) => format().formatRange(start, end),
    formatRangeToParts: (start: Date | number, end: Date | number) => format().formatRangeToParts(start, end),
    resolvedOptions: () => format().resolvedOptions(),
  };
  // `format` is a getter on the prototype, so the methods are defined on the object rather than assigned.
  return Object.defineProperties(
    Object.create(LoadedDateTimeFormat.prototype) as Intl.DateTimeFormat,
    Object.fromEntries(Object.entries(methods).map(([name, value]) => [name, { value }])),
  );
}
DeferredDateTimeFormat.prototype = LoadedDateTimeFormat.prototype;
DeferredDateTimeFormat.supportedLocalesOf = (
  locales: string | string[],
  options?: Intl.DateTimeFormatOptions,
) => LoadedDateTimeFormat.supportedLocalesOf(locales, options);

Intl.DateTimeFormat = DeferredDateTimeFormat as typeof Intl.DateTimeFormat;

/** Puts the real constructor back once the modules are loaded; what they built stays deferred. */
export function restoreDateTimeFormat(): void {
  Intl.DateTimeFormat = LoadedDateTimeFormat;
}
