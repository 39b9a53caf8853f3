import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from './stack.js';

/** The image's entrypoint starts each service with the same Node flags as the local stack and the bench. */
describe('service Node flags', () => {
  const entrypoint = readFileSync(new URL('../../../deploy/docker-entrypoint.sh', import.meta.url), 'utf8');

  it.each(['api', 'worker'] as const)('deploy/docker-entrypoint.sh starts the %s with SERVICE_NODE_FLAGS', (service) => {
    const line = entrypoint.split('\n').find((text) => text.includes(`/${service}/dist/main.js`));
    expect(line, `no exec line for the ${service}`).toBeDefined();
    const flags = (line ?? '').trim().split(/\s+/).filter((word) => word.startsWith('--'));
    expect(flags).toEqual(SERVICE_NODE_FLAGS[service]);
  });
});
