import { defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "@capconnect/source" condition,
// so tests run against src/ without a build step; production resolves dist/ instead.
const conditions = ['@capconnect/source', ...defaultServerConditions];

// CI (.ci/run) reads totals from a JSON report per run; locally only the default reporter prints.
const reportDir = process.env.CAPCONNECT_TEST_REPORT_DIR;
const reportName = process.env.CAPCONNECT_TEST_REPORT_NAME ?? 'unit';
const reporters: NonNullable<NonNullable<ViteUserConfig['test']>['reporters']> = reportDir
  ? ['default', ['json', { outputFile: `${reportDir}/${reportName}.json` }]]
  : ['default'];

export const baseConfig: ViteUserConfig = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/*/src/**/*.test.ts'],
    reporters,
    globalSetup: ['packages/testkit/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // `pnpm test` measures the pure core and enforces its threshold (issue 2: ≥ 90% of lines);
    // `pnpm coverage` widens the report to every package.
    coverage: {
      provider: 'v8',
      reporter: ['text-summary'],
      include: process.env.CAPCONNECT_COVERAGE_ALL === '1' ? ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'] : ['packages/core/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.reliability.ts', '**/main.ts'],
      thresholds: {
        'packages/core/src/**/*.ts': { lines: 90 },
      },
    },
  },
};

export default defineConfig(baseConfig);
