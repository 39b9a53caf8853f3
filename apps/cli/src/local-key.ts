import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyText } from '@capconnect/core';

/**
 * The local stack's `QUEUE_ENCRYPTION_KEY`, kept in a private file (mode 0600, in the gitignored
 * state directory) so a restart can open the jobs the previous run sealed. An explicit
 * `QUEUE_ENCRYPTION_KEY` in the environment wins and is never written anywhere.
 */
export interface LocalKey {
  key: string;
  /** Where the key lives; undefined when it came from the environment. */
  file: string | undefined;
  /** True when this run generated it. */
  created: boolean;
}

export function localQueueKey(file: string, env: NodeJS.ProcessEnv): LocalKey {
  const fromEnv = env.QUEUE_ENCRYPTION_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return { key: fromEnv, file: undefined, created: false };
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { queueEncryptionKey?: unknown };
    if (typeof stored.queueEncryptionKey === 'string' && stored.queueEncryptionKey !== '') {
      // Tighten a file someone loosened: the key opens every sealed job.
      chmodSync(file, 0o600);
      return { key: stored.queueEncryptionKey, file, created: false };
    }
  } catch {
    // absent or unreadable: make a new one
  }
  const key = generateKeyText();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify({ queueEncryptionKey: key }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, file, created: true };
}
