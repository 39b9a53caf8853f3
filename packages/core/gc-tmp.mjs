import { hash } from 'node:crypto';
const { hashMetaUserData, hashGoogleIdentifiers, parseIngestItem, prepareEvent } = await import('./dist/index.js');
const { toE164 } = await import('./dist/normalize/phone.js');
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


const nowMs = Date.now();
const items = Array.from({ length: 2000 }, (_, i) => parseIngestItem(makeEvent(i), { nowMs }).item);
const what = process.argv[2];
const options = { nowMs, defaultCallingCode: '81', defaultCurrency: 'JPY', meta: { enabled: true }, google: { enabled: true, api: 'data-manager', actions: new Map([['Purchase', { id: '123', mode: 'click' }]]) } };
let sink = 0;
const run = {
  meta: (item) => { sink += Object.keys(hashMetaUserData(item.customer, { defaultCallingCode: '81', nowMs, phoneMemo: new Map(), digestMemo: new Map() }).userData).length; },
  metaNoMemo: (item) => { sink += Object.keys(hashMetaUserData(item.customer, { defaultCallingCode: '81', nowMs }).userData).length; },
  google: (item) => { sink += hashGoogleIdentifiers(item.customer, { defaultCallingCode: '81', nowMs, phoneMemo: new Map(), digestMemo: new Map() }).hashedEmail.length; },
  phone: (item) => { sink += (toE164(item.customer.phone.trim(), { country: 'US', defaultCallingCode: '81', memo: new Map() }) ?? '').length; },
  prepare: (item) => { sink += prepareEvent(item, options).prepared.length; },
  prepareMetaOnly: (item) => { sink += prepareEvent(item, { ...options, google: { ...options.google, enabled: false } }).prepared.length; },
  prepareGoogleOnly: (item) => { sink += prepareEvent(item, { ...options, meta: { enabled: false } }).prepared.length; },
  hash: (item) => { for (const v of Object.values(item.customer)) sink += hash('sha256', v + 'x', 'hex').length; },
}[what];
for (let k = 0; k < 40; k++) for (const item of items) run(item);
