// Local measurement of core's CPU per event against the hashing floor (not a test; numbers are
// noisy on a shared machine: read the ratio, median of alternating rounds). Run after `pnpm build`:
//   node packages/core/scripts/measure.mjs [--rounds=7] [--events=2000]
// Per distinct event: parseIngestItem + prepareEvent (Meta and Google Data Manager) + sealing both
// jobs' match fields, against crypto.hash('sha256') over the event's 10 raw strings (8 customer
// fields, IP, user agent), as the bench's core scenario does. Also prints the parts: contract,
// prepare (and its phone share), seal (JSON of the match fields + seal, as toJobData does).
import { hash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')));
const ROUNDS = Number(args.rounds ?? 7);
const EVENTS = Number(args.events ?? 2000);
// --compare=<dist dir> measures another build of core side by side (e.g. one built from main).
const dists = [['this', new URL('../dist/', import.meta.url)]];
if (args.compare !== undefined) dists.push(['compare', pathToFileURL(`${resolve(args.compare)}/`)]);


// The bench's realistic event (bench/src/realistic.ts on the bench branch): eight customer fields,
// IP (one in five IPv6), a full desktop user agent, fbc, gclid, value, currency, order id.
const FIRST_NAMES = ['John', 'María', 'Wei', 'Aiko', 'Liam', 'Sofía', 'Noah', 'Emma', 'Lucas', 'Hana', 'Olivia', 'Mateo', 'Chloé', 'Ethan', 'Zoë', 'Arjun', 'Fatima', 'Jonas', 'Mia', 'Oscar'];
const LAST_NAMES = ["O'Brien", 'García', 'Smith', 'Tanaka', 'Müller', 'Johnson', 'Nguyen', 'Rossi', 'Kowalski', 'Dubois', 'Brown', 'Hernández', 'Kim', 'Silva', 'Andersson', 'Patel', 'Cohen', 'Williams', 'Schmidt', 'Lee'];
const PLACES = [
  { city: 'New York', state: 'NY', zip: '10001', area: '212' }, { city: 'Los Angeles', state: 'CA', zip: '90012', area: '213' },
  { city: 'Chicago', state: 'IL', zip: '60601', area: '312' }, { city: 'Houston', state: 'TX', zip: '77002', area: '713' },
  { city: 'Seattle', state: 'WA', zip: '98101', area: '206' }, { city: 'Boston', state: 'MA', zip: '02108', area: '617' },
  { city: 'Denver', state: 'CO', zip: '80202', area: '303' }, { city: 'San Francisco', state: 'CA', zip: '94103', area: '415' },
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
const token = (length, next) => { let text = ''; for (let i = 0; i < length; i += 1) text += URL_SAFE[Math.floor(next() * URL_SAFE.length)]; return text; };

function makeEvent(index) {
  const next = random(index * 7919 + 17);
  const firstName = pick(FIRST_NAMES, next);
  const lastName = pick(LAST_NAMES, next);
  const place = pick(PLACES, next);
  const exchange = 200 + Math.floor(next() * 700);
  const line = String(Math.floor(next() * 10_000)).padStart(4, '0');
  const phone = [`(${place.area}) ${exchange}-${line}`, `+1 ${place.area} ${exchange} ${line}`, `${place.area}-${exchange}-${line}`, `+1${place.area}${exchange}${line}`][index % 4];
  const mailbox = `${firstName}.${lastName}${index}`.replace(/'/g, '');
  const email = index % 3 === 0 ? ` ${mailbox}@Example.COM ` : `${mailbox.toLowerCase()}@example.com`;
  const id = `core-${index}`;
  const clickMs = 1_764_460_800_000 + index * 1000;
  return {
    customer: { email, phone, firstName, lastName, city: place.city, state: place.state, zip: index % 2 === 0 ? place.zip : `${place.zip}-${line}`, country: 'US' },
    event: {
      eventName: 'Purchase', eventId: id, orderId: `order-${id}`, value: Math.round((19.99 + next() * 480) * 100) / 100, currency: 'USD',
      actionSource: 'website', eventSourceUrl: 'https://shop.example.com/checkout/thank-you',
      clientIpAddress: index % 5 === 0 ? `2001:db8:${(index % 65_536).toString(16)}::${(1 + (index % 254)).toString(16)}` : `198.51.${Math.floor(index / 254) % 256}.${1 + (index % 254)}`,
      clientUserAgent: pick(USER_AGENTS, next), fbc: `fb.1.${clickMs}.IwAR${token(56, next)}`, gclid: `Cj0KCQiA${token(84, next)}`,
    },
  };
}

const events = Array.from({ length: EVENTS }, (_, i) => makeEvent(i));
const raws = events.map((e) => [...Object.values(e.customer), e.event.clientIpAddress, e.event.clientUserAgent]);
const nowMs = Date.now();
const options = {
  nowMs,
  defaultCallingCode: '81',
  defaultCurrency: 'JPY',
  meta: { enabled: true },
  google: { enabled: true, api: 'data-manager', actions: new Map([['Purchase', { id: '123', mode: 'click' }], ['Lead', { id: '124', mode: 'click' }]]) },
};
const phoneRegions = events.map((e) => ({ country: e.customer.country, defaultCallingCode: '81' }));
let sink = 0;

/** The measured loops for one build of core. */
async function loopsFor(label, dist) {
  const { createKeyring, generateKeyText, parseIngestItem, prepareEvent } = await import(new URL('index.js', dist).href);
  const { toE164 } = await import(new URL('normalize/phone.js', dist).href);
  const keyring = createKeyring(generateKeyText());
  const parsed = events.map((e) => {
    const result = parseIngestItem(e, { nowMs });
    if (!result.ok) throw new Error(`${label}: event does not parse: ${JSON.stringify(result.issues)}`);
    return structuredClone(result.item);
  });
  // Copies, not prepareEvent's own objects: keeping thousands of objects from its allocation sites
  // alive teaches V8 to allocate there straight into the old generation (pretenuring), and every
  // measured loop after it then pays for promoted garbage. The parsed items are copies for the same
  // reason.
  const prepared = parsed.map((item) => {
    const result = prepareEvent(item, options);
    if (result.prepared.length !== 2) throw new Error(`${label}: expected two jobs, got skips ${JSON.stringify(result.skipped)}`);
    return structuredClone(result.prepared);
  });
  const seal = (jobs) => {
    for (const job of jobs) sink += keyring.seal(JSON.stringify(job.match), `${job.provider}:${job.event.eventId}`).length;
  };
  return {
    total: () => {
      for (const e of events) {
        const result = parseIngestItem(e, { nowMs });
        if (!result.ok) throw new Error('refused');
        seal(prepareEvent(result.item, options).prepared);
      }
    },
    contractPrepare: () => {
      for (const e of events) {
        const result = parseIngestItem(e, { nowMs });
        if (!result.ok) throw new Error('refused');
        sink += prepareEvent(result.item, options).prepared.length;
      }
    },
    // Diagnostics: prepare on items parsed just before (fresh objects) vs on items parsed once.
    freshPrepare: () => {
      const items = events.map((e) => parseIngestItem(e, { nowMs }).item);
      for (const item of items) sink += prepareEvent(item, options).prepared.length;
    },
    prepareSeal: () => { for (const item of parsed) seal(prepareEvent(item, options).prepared); },
    contract: () => { for (const e of events) sink += parseIngestItem(e, { nowMs }).ok ? 1 : 0; },
    prepare: () => { for (const item of parsed) sink += prepareEvent(item, options).prepared.length; },
    // Once per event: what prepareEvent's phone work costs (both providers share one parse).
    phone: () => { for (let i = 0; i < events.length; i += 1) sink += (toE164(events[i].customer.phone.trim(), phoneRegions[i]) ?? '').length; },
    seal: () => { for (const jobs of prepared) seal(jobs); },
  };
}

const floor = () => { for (const values of raws) for (const value of values) sink += hash('sha256', value).length; };
const builds = [];
for (const [label, dist] of dists) builds.push([label, await loopsFor(label, dist)]);

function time(fn) {
  // CPU time of this thread, not wall time: other processes on a shared machine stretch wall time.
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / EVENTS; // µs per event
}

if (args.only !== undefined) {
  // For a profiler: one part of this build only (`--only=total --times=30`).
  const loop = args.only === 'floor' ? floor : builds[Number(args.build ?? 0)][1][args.only];
  for (let k = 0; k < Number(args.times ?? 20); k += 1) loop();
  process.exit(0);
}
for (let warm = 0; warm < 3; warm += 1) for (const [, loops] of builds) for (const fn of Object.values(loops)) { fn(); floor(); }
const samples = new Map();
const record = (key, value) => { if (!samples.has(key)) samples.set(key, []); samples.get(key).push(value); };
for (let round = 0; round < ROUNDS; round += 1) {
  // Alternate: every part, of every build, next to a floor run, so drift hits all alike.
  for (const part of (args.parts ?? 'total,contract,prepare,phone,seal').split(',')) {
    for (const [label, loops] of builds) {
      record(`${label} ${part}`, time(loops[part]));
      record('floor', time(floor));
    }
  }
}
const quantile = (values, q) => { const s = [...values].sort((a, b) => a - b); return s[Math.floor((s.length - 1) * q)]; };
const floorMedian = quantile(samples.get('floor'), 0.5);
const floorLow = quantile(samples.get('floor'), 0.1);
const out = [
  `events ${EVENTS}, rounds ${ROUNDS}, node ${process.version}; CPU µs per event: median (× floor median), p10 (× floor p10), spread`,
];
for (const [key, values] of samples) {
  const m = quantile(values, 0.5);
  const low = quantile(values, 0.1);
  const spread = (Math.max(...values) - Math.min(...values)) / m;
  out.push(`${key.padEnd(18)} ${m.toFixed(2).padStart(7)} (${(m / floorMedian).toFixed(2).padStart(5)}×)  ${low.toFixed(2).padStart(7)} (${(low / floorLow).toFixed(2).padStart(5)}×)  ${(spread * 100).toFixed(0).padStart(4)}%`);
}
process.stdout.write(`${out.join('\n')}\n(sink ${sink % 10})\n`);
