// Sandbox throughput over loopback, client and server in this one process (one core for both).
// Run after a build: `pnpm --filter @capconnect/sandbox build && pnpm --filter @capconnect/sandbox bench`.
// The benchmark harness can import `measureThroughput` from '@capconnect/sandbox' instead.
import process from 'node:process';
import { measureThroughput } from './dist/index.js';

const meta = await measureThroughput({ provider: 'meta', batches: 60, batchSize: 1000 });
const google = await measureThroughput({ provider: 'google', batches: 30, batchSize: 2000 });
process.stdout.write(`${JSON.stringify({ meta, google }, null, 2)}\n`);
