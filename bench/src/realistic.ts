import { loadConfig, type Config } from '@capconnect/config';
import { generateKeyText } from '@capconnect/core';

/**
 * The realistic event of the efficiency scenarios (same-work ingest, core CPU, Redis bytes): eight
 * customer fields (email, phone, first and last name, city, state, zip, country), the client IP, a
 * full desktop-browser user agent, fbc, gclid, value, currency and order id, no `destinations` (both
 * providers take it: two jobs per event). Every index gives a distinct customer and distinct ids;
 * the same index always gives the same event, so both sides of a comparison post the same bodies.
 */

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
] as const;
/** Full desktop-browser user agents as browsers send them (Chrome, Edge, Firefox, Safari). */
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
] as const;
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A small deterministic generator (mulberry32), so an index always yields the same strings. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(list: readonly T[], next: () => number): T {
  return list[Math.floor(next() * list.length)] as T;
}

function token(length: number, next: () => number): string {
  let text = '';
  for (let index = 0; index < length; index += 1) text += URL_SAFE[Math.floor(next() * URL_SAFE.length)] ?? 'A';
  return text;
}

export interface RealisticItem {
  customer: { email: string; phone: string; firstName: string; lastName: string; city: string; state: string; zip: string; country: string };
  event: {
    eventName: string; eventId: string; orderId: string; value: number; currency: string; actionSource: 'website'; eventSourceUrl: string;
    clientIpAddress: string; clientUserAgent: string; fbc: string; gclid: string;
  };
}

/**
 * The event at `index`; `idPrefix` keeps ids of different runs or sides apart where they share a
 * queue (the customer depends on the index only).
 */
export function realisticEvent(index: number, idPrefix = 'bench'): RealisticItem {
  const next = random(index * 7919 + 17);
  const firstName = pick(FIRST_NAMES, next);
  const lastName = pick(LAST_NAMES, next);
  const place = pick(PLACES, next);
  const exchange = 200 + Math.floor(next() * 700);
  const line = String(Math.floor(next() * 10_000)).padStart(4, '0');
  // Phones and emails as forms deliver them: mixed formats, case and stray spaces.
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

/** The ten raw personal strings of an event: what the hashing floor hashes. */
export function rawStrings(item: RealisticItem): string[] {
  const { customer, event } = item;
  return [customer.email, customer.phone, customer.firstName, customer.lastName, customer.city, customer.state, customer.zip, customer.country, event.clientIpAddress, event.clientUserAgent];
}

/** A JSON array of `count` realistic events from `start`, as `/v1/collect/batch` takes it. */
export function realisticBatchBody(start: number, count: number, idPrefix: string): string {
  const items: string[] = [];
  for (let index = start; index < start + count; index += 1) items.push(JSON.stringify(realisticEvent(index, idPrefix)));
  return `[${items.join(',')}]`;
}

/**
 * The api's configuration for an environment, read by the api's own loader (`loadConfig`), so the
 * reference server and the core scenario prepare and queue events exactly as the api does
 * (`prepareOptions`, `jobPolicy` of @capconnect/api). Variables the bench does not use there (Redis,
 * secrets) get placeholders when absent.
 */
export function apiConfig(env: Readonly<Record<string, string | undefined>>): Config {
  return loadConfig({
    REDIS_URL: 'redis://127.0.0.1:6379', WEBHOOK_SECRET: 'bench-placeholder-secret-0123456789', QUEUE_ENCRYPTION_KEY: generateKeyText(), ...env,
  }, { service: 'api' });
}
