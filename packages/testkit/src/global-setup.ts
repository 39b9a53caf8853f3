import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startSharedRedis } from './shared-redis.js';

import './index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Vitest global setup: builds the workspace once (tests that run the services as processes use
 * dist/; turbo makes this a cache hit when nothing changed, and one build avoids test files
 * racing to write the same dist/), then one Redis for the whole run, handed to every test as
 * `inject('redisUrl')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.CAPCONNECT_TEST_SKIP_BUILD !== '1') {
    await promisify(execFile)('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, timeout: 300_000 });
  }
  const shared = await startSharedRedis();
  project.provide('redisUrl', shared.url);
  return shared.stop;
}
