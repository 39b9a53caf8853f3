import type { TestProject } from 'vitest/node';
import { startSharedRedis } from './shared-redis.js';

import './index.js';

/** Vitest global setup: one Redis for the whole run, handed to every test as `inject('redisUrl')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = await startSharedRedis();
  project.provide('redisUrl', shared.url);
  return shared.stop;
}
