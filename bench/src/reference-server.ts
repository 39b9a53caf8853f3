/**
 * The same-work reference for ingest: what any relay must do for our contract, and nothing else.
 * express.json(), then per item the project's own contract check (`parseIngestItem`, as the api
 * does), `prepareEvent` for every enabled destination, sealing and job data (`toJobData`), and one
 * plain BullMQ `add` per destination job (`addBulk` per queue for a batch) with the project's
 * `jobOptions`. No auth, signature, metrics, duplicate report, status bookkeeping, chunked yielding
 * or JSON structural limits. Started with the api's Node flags and the api's environment, read by
 * the api's own configuration loader (prepare options, job policy, key), so a ratio compares the
 * work the api adds, not configuration. Env: the api's, plus PORT and BENCH_PREFIX.
 */
import { jobPolicy, prepareOptions } from '@capconnect/api';
import { PROVIDERS, createKeyring, parseIngestItem, prepareEvent, type Provider } from '@capconnect/core';
import { JOB_NAME, createRedisConnection, jobOptions, toJobData, type JobData } from '@capconnect/queue';
import { Queue, type JobsOptions } from 'bullmq';
import express from 'express';
import { apiConfig } from './realistic.js';

// The api's connection settings (a producer connection, its default 1 s command timeout), so both give up alike.
const config = apiConfig(process.env);
const connection = createRedisConnection(config.redisUrl, 'producer', { connectionName: 'bench-reference' });
const prefix = process.env.BENCH_PREFIX ?? '{bench-reference}';
const queues = Object.fromEntries(PROVIDERS.map((provider) => [provider, new Queue<JobData>(provider, { connection, prefix })])) as Record<Provider, Queue<JobData>>;
const keyring = createKeyring(config.queueEncryptionKey);
const policy = jobPolicy(config);

interface Job { provider: Provider; data: JobData; opts: JobsOptions }

/** Contract, preparation, sealing and job data for one posted item; undefined when the contract refuses it. */
function jobsOf(input: unknown, nowMs: number): { eventId: string; jobs: Job[] } | undefined {
  const parsed = parseIngestItem(input, { nowMs });
  if (!parsed.ok) return undefined;
  const result = prepareEvent(parsed.item, prepareOptions(config, nowMs));
  return {
    eventId: result.eventId,
    jobs: result.prepared.map((prepared) => ({
      provider: prepared.provider, data: toJobData(prepared, keyring, nowMs), opts: jobOptions(prepared.provider, result.eventId, policy),
    })),
  };
}

const destinations = (jobs: readonly Job[]) => jobs.map(({ provider, opts }) => ({ provider, jobId: opts.jobId }));

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '5mb' }));

app.post('/v1/collect', (req, res) => {
  const item = jobsOf(req.body, Date.now());
  if (!item) { res.status(400).json({ error: 'invalid_event' }); return; }
  Promise.all(item.jobs.map((job) => queues[job.provider].add(JOB_NAME, job.data, job.opts))).then(
    () => { res.status(202).json({ eventId: item.eventId, destinations: destinations(item.jobs) }); },
    () => { res.status(503).json({ error: 'unavailable' }); },
  );
});

app.post('/v1/collect/batch', (req, res) => {
  if (!Array.isArray(req.body)) { res.status(400).json({ error: 'invalid_body' }); return; }
  const nowMs = Date.now();
  const items = (req.body as unknown[]).map((input) => jobsOf(input, nowMs));
  const byProvider = new Map<Provider, Job[]>(PROVIDERS.map((provider) => [provider, []]));
  for (const item of items) for (const job of item?.jobs ?? []) byProvider.get(job.provider)?.push(job);
  const adds = [...byProvider].filter(([, jobs]) => jobs.length > 0)
    .map(([provider, jobs]) => queues[provider].addBulk(jobs.map(({ data, opts }) => ({ name: JOB_NAME, data, opts }))));
  Promise.all(adds).then(
    () => {
      res.status(202).json({
        results: items.map((item, index) => (item ? { index, eventId: item.eventId, destinations: destinations(item.jobs) } : { index, status: 'invalid' })),
      });
    },
    () => { res.status(503).json({ error: 'unavailable' }); },
  );
});

app.get('/healthz', (_req, res) => { res.status(connection.status === 'ready' ? 200 : 503).json({ status: connection.status }); });
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  void Promise.all(Object.values(queues).map((queue) => queue.close())).then(() => connection.quit()).then(() => process.exit(0));
});
