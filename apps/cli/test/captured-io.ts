import { Readable } from 'node:stream';

import type { Io } from '../src/cli.types.js';

/** An Io whose stdout and stderr are collected as strings and whose stdin holds the given text. */
export interface CapturedIo {
  readonly io: Io;
  stdout(): string;
  stderr(): string;
}

/** Builds a CapturedIo; stdin is empty unless `stdin` is given. */
export function captureIo(stdin = ''): CapturedIo {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (chunk: string) => (out += chunk) },
      stderr: { write: (chunk: string) => (err += chunk) },
      stdin: Readable.from(stdin === '' ? [] : [stdin]),
    },
    stdout: () => out,
    stderr: () => err,
  };
}
