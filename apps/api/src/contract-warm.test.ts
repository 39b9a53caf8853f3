import { loadConfig } from '@capconnect/config';
import { ingestContractCompiled } from '@capconnect/core';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { freshPrefix } from '@capconnect/testkit';
import { expect, it } from 'vitest';
import { startApiServer } from './server.js';
import { testEnv } from './test/harness.js';

// Its own file: each test file gets fresh modules, so nothing here has parsed an item before.
it('compiles the ingest contract at boot, so the first request does not wait for it', async () => {
  expect(ingestContractCompiled()).toBe(false);
  const config = loadConfig(testEnv({}), { service: 'api' });
  const server = await startApiServer(config, { logger: createLogger({ service: 'api', destination: memoryDestination() }), host: '127.0.0.1', prefix: freshPrefix() });
  try {
    expect(ingestContractCompiled()).toBe(true);
  } finally {
    await server.close();
  }
});
