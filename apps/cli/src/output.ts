import type { TextSink } from './cli.types.js';

/** Writes a command's result either as the server's raw JSON (--json) or as text for people. */
export class Output {
  constructor(
    private readonly sink: TextSink,
    /** True when --json was given: print what the server answered, unchanged. */
    readonly json: boolean,
  ) {}

  /** Prints `value` as JSON, or the human rendering of it. A bodiless answer prints nothing in JSON mode. */
  result<T>(value: T, human: (value: T) => string): void {
    if (this.json) {
      if (value !== undefined) {
        this.sink.write(`${JSON.stringify(value, null, 2)}\n`);
      }
      return;
    }
    const text = human(value);
    if (text !== '') {
      this.sink.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }
}

/** Aligns `label  value` rows; rows whose value is undefined are left out. */
export function formatFields(
  rows: ReadonlyArray<readonly [string, string | undefined]>,
  indent = '',
): string {
  const shown = rows.filter((row): row is readonly [string, string] => row[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length)) + 2;
  return shown.map(([label, value]) => `${indent}${label.padEnd(width)}${value}`).join('\n');
}

/** A column of a table: its heading and how to show one item in it. */
export interface Column<T> {
  readonly heading: string;
  readonly value: (item: T) => string;
}

/**
 * Lays `items` out as a table under upper-case headings, columns two spaces apart, or returns `empty` when there
 * are none. Cells are single-line: a line break in a value (a name, say) would break the layout.
 */
export function formatTable<T>(
  items: readonly T[],
  columns: ReadonlyArray<Column<T>>,
  empty: string,
): string {
  if (items.length === 0) {
    return empty;
  }
  const rows = [
    columns.map((c) => c.heading.toUpperCase()),
    ...items.map((item) => columns.map((c) => c.value(item).replace(/[\r\n\t]/g, ' '))),
  ];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Whether a sink is a terminal: progress bars and refusals to write binary go by it. */
export const isTerminal = (sink: unknown): boolean => (sink as { isTTY?: boolean }).isTTY === true;
