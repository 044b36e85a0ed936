import { Readable } from 'node:stream';

import type { Io } from '../src/cli.types.js';

/** An Io whose stdout and stderr are collected as strings and whose stdin holds the given text. */
export interface CapturedIo {
  readonly io: Io;
  stdout(): string;
  stderr(): string;
}

/** Builds a CapturedIo; stdin is empty unless `stdin` is given; with `terminal`, stderr passes for a terminal. */
export function captureIo(stdin = '', terminal = false): CapturedIo {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (chunk: string) => (out += chunk) },
      stderr: { write: (chunk: string) => (err += chunk), ...(terminal ? { isTTY: true } : {}) },
      stdin: Readable.from(stdin === '' ? [] : [stdin]),
    },
    stdout: () => out,
    stderr: () => err,
  };
}
