/**
 * The ingest baseline: the least a relay can do per request, express.json() and one
 * `queue.add` of the raw body, on the same Redis. Run as its own process, like the api.
 * Env: PORT, REDIS_URL, BENCH_PREFIX.
 */
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
const queue = new Queue('baseline', { connection, prefix: process.env.BENCH_PREFIX ?? '{bench}' });
const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '5mb' }));
app.post('/collect', (req, res) => {
  queue.add('raw', req.body as unknown, { removeOnComplete: true }).then(
    (job) => { res.status(202).json({ jobId: job.id }); },
    () => { res.status(503).json({ error: 'unavailable' }); },
  );
});
app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  void queue.close().then(() => connection.quit()).then(() => process.exit(0));
});
