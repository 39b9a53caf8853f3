import { afterAll } from 'vitest';
import { deleteFreshPrefixKeys } from './index.js';

/**
 * Runs in every test file (vitest `setupFiles`): after the file's own hooks have closed its queues
 * and workers, the keys under every prefix it took from `freshPrefix` leave the shared Redis.
 */
afterAll(async () => {
  await deleteFreshPrefixKeys();
});
