import { PassThrough } from 'node:stream';
import type { Io } from '../output.js';

/** An Io whose output tests can read back. */
export function captureIo(): Io & { stdout(): string; stderr(): string } {
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
