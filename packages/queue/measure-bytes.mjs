// Redis memory per queued job (docs/architecture.md#job-schema): a private, stock `redis-server`
// (no persistence) on a free port, 500 realistic events routed to Meta and Google (Data Manager)
// through `Producer`, no workers; `used_memory` after minus before, divided by the jobs. Everything
// BullMQ keeps is counted: job hashes, wait lists, events streams, meta keys, loaded scripts.
// Run after a build: `pnpm --filter @capconnect/queue build && node packages/queue/measure-bytes.mjs`.
// Options: `--events N` (500), `--batch N` (100 events per enqueue call), `--rounds N` (3, each on a
// fresh server; the median and the range are reported), `--redis-arg "name value"`
// (repeatable, e.g. `--redis-arg "hash-max-listpack-value 2048"`), `--json`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createKeyring, generateKeyText, parseIngestItem, prepareEvent } from '@capconnect/core';
import { Redis } from 'ioredis';
import { Producer, createRedisConnection } from './dist/index.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '500' },
    batch: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    'redis-arg': { type: 'string', multiple: true, default: [] },
    json: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);

// The realistic event of the bench's efficiency scenarios (bench/src/realistic.ts), kept in step by
// hand: 8 customer fields, IP, a full desktop-browser user agent, fbc, gclid, value, currency, order id.
const FIRST_NAMES = ['John', 'María', 'Wei', 'Aiko', 'Liam', 'Sofía', 'Noah', 'Emma', 'Lucas', 'Hana', 'Olivia', 'Mateo', 'Chloé', 'Ethan', 'Zoë', 'Arjun', 'Fatima', 'Jonas', 'Mia', 'Oscar'];
const LAST_NAMES = ["O'Brien", 'García', 'Smith', 'Tanaka', 'Müller', 'Johnson', 'Nguyen', 'Rossi', 'Kowalski', 'Dubois', 'Brown', 'Hernández', 'Kim', 'Silva', 'Andersson', 'Patel', 'Cohen', 'Williams', 'Schmidt', 'Lee'];
const PLACES = [
  { city: 'New York', state: 'NY', zip: '10001', area: '212' },
  { city: 'Los Angeles', state: 'CA', zip: '90012', area: '213' },
  { city: 'Chicago', state: 'IL', zip: '60601', area: '312' },
  { city: 'Houston', state: 'TX', zip: '77002', area: '713' },
  { city: 'Seattle', state: 'WA', zip: '98101', area: '206' },
  { city: 'Boston', state: 'MA', zip: '02108', area: '617' },
  { city: 'Denver', state: 'CO', zip: '80202', area: '303' },
  { city: 'San Francisco', state: 'CA', zip: '94103', area: '415' },
];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
];
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (list, next) => list[Math.floor(next() * list.length)];
function token(length, next) {
  let text = '';
  for (let index = 0; index < length; index += 1) text += URL_SAFE[Math.floor(next() * URL_SAFE.length)] ?? 'A';
  return text;
}

function realisticEvent(index, idPrefix = 'bench') {
  const next = random(index * 7919 + 17);
  const firstName = pick(FIRST_NAMES, next);
  const lastName = pick(LAST_NAMES, next);
  const place = pick(PLACES, next);
  const exchange = 200 + Math.floor(next() * 700);
  const line = String(Math.floor(next() * 10_000)).padStart(4, '0');
  const phone = [`(${place.area}) ${exchange}-${line}`, `+1 ${place.area} ${exchange} ${line}`, `${place.area}-${exchange}-${line}`, `+1${place.area}${exchange}${line}`][index % 4] ?? '';
  const mailbox = `${firstName}.${lastName}${index}`.replace(/'/g, '');
  const email = index % 3 === 0 ? ` ${mailbox}@Example.COM ` : `${mailbox.toLowerCase()}@example.com`;
  const id = `${idPrefix}-${index}`;
  const clickMs = 1_764_460_800_000 + index * 1000;
  return {
    customer: {
      email, phone, firstName, lastName, city: place.city, state: place.state, zip: index % 2 === 0 ? place.zip : `${place.zip}-${line}`, country: 'US',
    },
    event: {
      eventName: 'Purchase',
      eventId: id,
      orderId: `order-${id}`,
      value: Math.round((19.99 + next() * 480) * 100) / 100,
      currency: 'USD',
      actionSource: 'website',
      eventSourceUrl: 'https://shop.example.com/checkout/thank-you',
      clientIpAddress: index % 5 === 0 ? `2001:db8:${(index % 65_536).toString(16)}::${(1 + (index % 254)).toString(16)}` : `198.51.${Math.floor(index / 254) % 256}.${1 + (index % 254)}`,
      clientUserAgent: pick(USER_AGENTS, next),
      fbc: `fb.1.${clickMs}.IwAR${token(56, next)}`,
      gclid: `Cj0KCQiA${token(84, next)}`,
    },
  };
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const { port } = server.address();
  await new Promise((resolve) => { server.close(resolve); });
  return port;
}

async function startRedis(extra) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'measure-bytes-'));
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
    ...extra.flatMap((arg) => { const [name, ...rest] = arg.split(' '); return [`--${name}`, rest.join(' ')]; })];
  const child = spawn('redis-server', argv, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let tries = 0; ; tries += 1) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    probe.on('error', () => undefined);
    try { await probe.connect(); await probe.ping(); probe.disconnect(); break; } catch (error) {
      probe.disconnect();
      if (tries > 100) throw error;
      await sleep(50);
    }
  }
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => { child.once('exit', resolve); });
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function usedMemory(client) {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** The parts of `used_memory` Redis reports (MEMORY STATS), to say where a difference lies. */
async function memoryParts(client) {
  const flat = await client.call('MEMORY', 'STATS');
  const stats = {};
  for (let index = 0; index < flat.length; index += 2) if (typeof flat[index + 1] === 'number') stats[flat[index]] = flat[index + 1];
  return stats;
}

async function measureOnce() {
  const redis = await startRedis(args['redis-arg']);
  const admin = new Redis(redis.url);
  try {
    const connection = createRedisConnection(redis.url, 'producer');
    await new Promise((resolve) => { if (connection.status === 'ready') resolve(); else connection.once('ready', resolve); });
    const before = await usedMemory(admin);
    const partsBefore = await memoryParts(admin);
    const producer = new Producer({
      connection, keyring: createKeyring(generateKeyText()),
      // The configuration's defaults (RETRY_MAX_ATTEMPTS, COMPLETED_RETENTION_S, FAILED_RETENTION_S).
      policy: { maxAttempts: 12, completedRetentionS: 86_400, failedRetentionS: 14 * 86_400 },
    });
    const nowMs = Date.now();
    const options = {
      // As the api derives them from its defaults (DEFAULT_COUNTRY_CODE 81, DEFAULT_CURRENCY JPY) and GOOGLE_API's default.
      nowMs, defaultCallingCode: '81', defaultCurrency: 'JPY', meta: { enabled: true },
      google: { enabled: true, actions: new Map([['Purchase', { id: '123456789', mode: 'click' }]]), api: 'data-manager' },
    };
    let jobs = 0;
    for (let start = 0; start < EVENTS; start += BATCH) {
      const items = [];
      for (let index = start; index < Math.min(EVENTS, start + BATCH); index += 1) {
        const parsed = parseIngestItem(realisticEvent(index), { nowMs });
        if (!parsed.ok) throw new Error(`event ${index} does not parse`);
        const result = prepareEvent(parsed.item, options);
        if (result.prepared.length !== 2) throw new Error(`event ${index} is not routed to both destinations`);
        items.push({ eventId: result.eventId, prepared: result.prepared });
      }
      const results = await producer.enqueue(items, nowMs);
      jobs += results.flat().filter((job) => job.status === 'queued').length;
    }
    const after = await usedMemory(admin);
    const partsAfter = await memoryParts(admin);
    const partsDelta = Object.fromEntries(Object.keys(partsAfter).filter((key) => partsAfter[key] !== partsBefore[key] && !/peak|ratio|fragmentation|startup/.test(key))
      .map((key) => [key, partsAfter[key] - (partsBefore[key] ?? 0)]));
    // Where the bytes are: the largest key of each kind, and one job hash.
    const keys = await admin.keys('*');
    const kinds = {};
    for (const key of keys) {
      const kind = /:[a-z]+-[0-9a-f]{40}$/.test(key) ? 'job hash' : key.replace(/^\{capconnect\}:(meta|google):/, '');
      const bytes = Number(await admin.memory('USAGE', key, 'SAMPLES', '0'));
      const entry = (kinds[kind] ??= { keys: 0, bytes: 0 });
      entry.keys += 1;
      entry.bytes += bytes;
    }
    const sampleJob = keys.find((key) => key.includes(':google:google-')) ?? '';
    const sample = await admin.hgetall(sampleJob);
    const sampleMeta = await admin.hgetall(keys.find((key) => key.includes(':meta:meta-')) ?? '');
    const report = {
      redisArgs: args['redis-arg'], events: EVENTS, jobs, usedMemoryDelta: after - before,
      bytesPerJob: Math.round((after - before) / jobs),
      memoryStatsDelta: partsDelta,
      byKind: Object.fromEntries(Object.entries(kinds).map(([kind, entry]) => [kind, { ...entry, bytesPerJob: Math.round(entry.bytes / jobs) }])),
      encoding: await admin.object('ENCODING', sampleJob),
      sampleJobFieldBytes: Object.fromEntries(Object.entries(sample).map(([field, value]) => [field, Buffer.byteLength(value)])),
      sampleMetaJobFieldBytes: Object.fromEntries(Object.entries(sampleMeta).map(([field, value]) => [field, Buffer.byteLength(value)])),
      ...(process.env.SHOW_SAMPLE === '1' && { sampleGoogle: sample, sampleMeta }),
    };
    await producer.close();
    connection.disconnect();
    return report;
  } finally {
    admin.disconnect();
    await redis.stop();
  }
}

const reports = [];
for (let round = 0; round < Number(args.rounds); round += 1) reports.push(await measureOnce());
const perJob = reports.map((report) => report.bytesPerJob).sort((a, b) => a - b);
const summary = { ...reports[Math.floor(reports.length / 2)], bytesPerJob: perJob[Math.floor(perJob.length / 2)], bytesPerJobRounds: perJob };
process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `${JSON.stringify(summary, null, 2)}\n`);
