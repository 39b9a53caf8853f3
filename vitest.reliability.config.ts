import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The reliability suite: faults, load and hostile input against real processes. Slower than the
// unit suite, bounded in time per scenario, run by CI after `pnpm test`.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['packages/*/src/**/*.reliability.ts', 'apps/*/src/**/*.reliability.ts', 'bench/**/*.reliability.ts'],
      testTimeout: 180_000,
      fileParallelism: false,
    },
  }),
);
