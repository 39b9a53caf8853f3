import { PassThrough } from 'node:stream';
import type { Writable } from 'node:stream';

/** Where a command writes: the shape of the CLI's `Io`. */
export interface CapturedIo {
  out: Writable;
  err: Writable;
  stdout(): string;
  stderr(): string;
}

/** Output streams for a CLI command that a test can read back. */
export function captureIo(): CapturedIo {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  err.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  return {
    out,
    err,
    stdout: () => Buffer.concat(chunks.out).toString('utf8'),
    stderr: () => Buffer.concat(chunks.err).toString('utf8'),
  };
}
