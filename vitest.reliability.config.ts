import { defineConfig } from 'vitest/config';
import { baseConfig as base } from './vitest.config.js';

// The reliability suite: faults, load and hostile input against real processes. Slower than the
// unit suite, bounded in time per scenario, run by CI after `pnpm test`. Built by spreading the
// base config rather than mergeConfig, which would concatenate `include` and rerun the unit suite.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/*/src/**/*.reliability.ts'],
    testTimeout: 180_000,
    fileParallelism: false,
  },
});
