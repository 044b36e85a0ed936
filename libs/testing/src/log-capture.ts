import { Writable } from 'node:stream';

/** A log destination that keeps what is written to it: as text, or as the JSON lines a logger writes. */
export interface LogCapture extends Writable {
  text(): string;
  parsed(): Record<string, unknown>[];
  isTTY?: boolean;
}

/** A destination for a logger under test; `isTTY` makes it pose as a terminal. */
export function logCapture(options: { isTTY?: boolean } = {}): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as LogCapture;
  stream.text = () => chunks.join('');
  stream.parsed = () =>
    stream
      .text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  if (options.isTTY) {
    stream.isTTY = true;
  }
  return stream;
}
