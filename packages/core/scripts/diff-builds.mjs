// Local differential check (not a test): parseIngestItem + prepareEvent of this build against another
// build of core (e.g. one from main) over many random items, byte for byte (JSON, key order included).
//   node packages/core/scripts/diff-builds.mjs --compare=<dist dir> [--items=20000] [--seed=1]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')));
const ITEMS = Number(args.items ?? 20000);
let seed = Number(args.seed ?? 1);
const ours = await import(new URL('../dist/index.js', import.meta.url).href);
const theirs = await import(pathToFileURL(`${resolve(args.compare)}/index.js`).href);

function random() {
  // mulberry32: reproducible runs.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (values) => values[Math.floor(random() * values.length)];
const maybe = (p, make) => (random() < p ? make() : undefined);

const EMAILS = [' John.Doe@Example.COM ', 'j.o.h.n+tag@gmail.com', 'JOHN@googlemail.com', 'a@b', 'not an email', '', '  ', 'ｊｏｈｎ@example.com', 'x\u200b@example.com', '62A14E44F765419D10FEA99367361A727C12365E2520F32218D505ED9AA0F62F', 'émilie@exämple.fr', '+.@gmail.com'];
const PHONES = ['090-1234-5678', '+81 90 1234 5678', '(212) 555-0100', '(650) 555-1212', '+1 650 253 0000', '16505551212', '1 800 555 0100', '+44 (0)20 7946 0958', '020 7946 0958', '12345', 'call me', '', '+49 30 123456', '0049 30 1234567', '011 44 20 7946 0958', '+33 6 12 34 56 78', '５５５-１２１２', '+1 242 357 1234', '+1 (684) 733-1234'];
const NAMES = ['John', "O'Brien", 'Mary Jane', 'José', 'Émilie', '정', 'Владимир', 'Mrs. Jane', 'Smith, Jr.', 'Dr Who', 'Müller', 'İsmail', '  ', '', 'e\u0301milie', 'ＪＯＨＮ', 'Jr', 'mr.'];
const CITIES = ['New York', 'São Paulo', 'Tokyo', '東京', 'Zürich', 'St. Louis', '', 'Los  Angeles'];
const STATES = ['California', 'CA', 'ny', 'New York', 'Ontario', 'Québec', 'Georgia', 'Tokyo', 'Bavaria', '', '12'];
const ZIPS = ['10001-1234', '10001', '100-0001', 'SW1A 1AA', '1', 'ab', '', '90210', 'K1A 0B1'];
const COUNTRIES = ['US', 'us', 'USA', 'United States', 'JP', 'Japan', '日本', 'GB', 'UK', 'England', 'DE', 'Deutschland', 'XX', 'ca', '', 'Côte d\'Ivoire', 'bs'];
const GENDERS = ['male', 'F', 'Female', 'x', 'm.', ''];
const DOBS = ['1990/01/02', '2/16/1997', '16.02.1997', '1990-01-02', '19900102', '2030-01-01', '1899-12-31', 'yesterday', '1990-02-30'];
const UAS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'curl/8.0', '', '  '];
const IPS = ['203.0.113.7', '2001:db8::1', ' 203.0.113.7 ', 'not-an-ip', '999.1.1.1', ''];
const URLS = ['https://shop.example.com/thanks', ' https://shop.example.com/a?b=c ', 'http://x.com'];
const value = (list) => (random() < 0.15 ? Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(list)) : pick(list));

function makeItem(i) {
  const customer = {};
  const fields = [['email', EMAILS], ['phone', PHONES], ['firstName', NAMES], ['lastName', NAMES], ['gender', GENDERS], ['dateOfBirth', DOBS],
    ['city', CITIES], ['state', STATES], ['zip', ZIPS], ['country', COUNTRIES], ['streetAddress', ['1-1 Chiyoda', '10  Downing St', '']], ['externalId', ['user_42', ' U-1 ']]];
  for (const [key, list] of fields) if (random() < 0.7) customer[key] = value(list);
  const event = {
    eventName: pick(['Purchase', 'Lead', 'Signup', 'Other']),
    eventId: maybe(0.6, () => `evt-${i}`),
    orderId: maybe(0.5, () => `order-${i}`),
    eventTime: maybe(0.5, () => pick([Math.floor(Date.now() / 1000) - 60, Math.floor(Date.now() / 1000) - 8 * 86400, new Date(Date.now() - 3600e3).toISOString()])),
    value: maybe(0.6, () => pick([0, 4980, 12.5])),
    currency: maybe(0.5, () => pick(['JPY', 'usd'])),
    actionSource: maybe(0.7, () => pick(['website', 'app', 'physical_store', 'business_messaging', 'email', 'phone_call'])),
    eventSourceUrl: maybe(0.7, () => pick(URLS)),
    clientIpAddress: maybe(0.7, () => pick(IPS)),
    clientUserAgent: maybe(0.7, () => pick(UAS)),
    fbc: maybe(0.4, () => pick(['fb.1.1.IwAR', ' '])),
    fbp: maybe(0.3, () => 'fb.1.2.3'),
    gclid: maybe(0.4, () => pick(['Cj0KCQ', ''])),
    gbraid: maybe(0.2, () => 'gb'),
    wbraid: maybe(0.2, () => 'wb'),
    ctwaClid: maybe(0.1, () => 'ctwa'),
    pageId: maybe(0.1, () => '123'),
    pageScopedUserId: maybe(0.1, () => '456'),
    messagingChannel: maybe(0.1, () => pick(['whatsapp', 'messenger', 'instagram'])),
    contents: maybe(0.3, () => [{ id: 'sku-1', quantity: 2, itemPrice: 10 }, { id: 'sku-2' }]),
    customData: maybe(0.2, () => pick([{}, { a: 1, b: [1, 2] }])),
  };
  const item = { customer, event }; // JSON.parse below drops the undefined members
  if (random() < 0.5) item.consent = { adUserData: pick(['granted', 'denied']), ...(random() < 0.5 ? { adPersonalization: 'granted' } : {}), ...(random() < 0.3 ? { limitedDataUse: pick([true, false, { country: 1, state: 1000 }]) } : {}) };
  if (random() < 0.3) item.destinations = pick([['meta'], ['google'], ['meta', 'google']]);
  return JSON.parse(JSON.stringify(item));
}

const nowMs = Date.now();
const configs = [
  { nowMs, defaultCallingCode: '81', meta: { enabled: true }, google: { enabled: true, api: 'data-manager', actions: new Map([['Purchase', { id: '1', mode: 'click' }], ['Lead', { id: '2', mode: 'leads' }], ['Signup', { id: '3', mode: 'web' }]]) } },
  { nowMs, defaultCallingCode: '1', defaultCurrency: 'usd', meta: { enabled: true }, google: { enabled: true, api: 'ads-api', actions: new Map([['Purchase', { id: '1', mode: 'enhancement' }]]), fallbackAction: { id: '9', mode: 'click' } } },
];
let differences = 0;
let prepared = 0;
for (let i = 0; i < ITEMS; i += 1) {
  const input = makeItem(i);
  const a = ours.parseIngestItem(input, { nowMs });
  const b = theirs.parseIngestItem(input, { nowMs });
  const results = [[JSON.stringify(a), JSON.stringify(b)]];
  if (a.ok && b.ok) {
    for (const config of configs) {
      const pa = ours.prepareEvent(a.item, config);
      const pb = theirs.prepareEvent(b.item, config);
      prepared += pa.prepared.length;
      results.push([JSON.stringify(pa), JSON.stringify(pb)]);
    }
  }
  for (const [x, y] of results) {
    if (x !== y) {
      differences += 1;
      if (differences <= 5) process.stdout.write(`DIFF item ${i}\n  input ${JSON.stringify(input)}\n  ours   ${x}\n  theirs ${y}\n`);
    }
  }
}
process.stdout.write(`${ITEMS} items, ${prepared} prepared jobs compared, ${differences} differences\n`);
process.exitCode = differences === 0 ? 0 : 1;
