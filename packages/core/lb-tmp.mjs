import { hash } from 'node:crypto';
import { createKeyring, generateKeyText } from './dist/index.js';
import { toE164 } from './dist/normalize/phone.js';
const N = 300;
const ring = createKeyring(generateKeyText());
const ev = Array.from({ length: N }, (_, i) => ({
  raw: [`john.doe${i}@example.com`, `(212) 555-${String(i).padStart(4, '0')}`, 'John', "O'Brien", 'New York', 'NY', '10001', 'US', `203.0.113.${i % 255}`, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
  norm: [`john.doe${i}@example.com`, `1212555${String(i).padStart(4, '0')}`, 'john', 'obrien', 'newyork', 'ny', '10001', 'us', `+1212555${String(i).padStart(4, '0')}`, "o'brien", `evt-${i}`],
  meta: { clientIpAddress: `203.0.113.${i % 255}`, clientUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', fbc: `fb.1.1732900000000.IwAR${i}x9Zk`, eventSourceUrl: `https://shop.example.com/thanks?o=${i}` },
  google: { gclid: `Cj0KCQiA${i}BhCPARIsAB`, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', ipAddress: `203.0.113.${i % 255}`, regionCode: 'US', postalCode: '10001' },
  phone: `(212) 555-${String(i).padStart(4, '0')}`,
}));
let sink = 0;
const region = { country: 'US', defaultCallingCode: '81' };
const v = {
  floor: () => { for (const e of ev) for (const r of e.raw) sink += hash('sha256', r).length; },
  hashes11: () => { for (const e of ev) for (const r of e.norm) sink += hash('sha256', r, 'hex').length; },
  seals2: () => { for (const e of ev) { sink += ring.seal(JSON.stringify(e.meta), 'meta:evt').length + ring.seal(JSON.stringify(e.google), 'google:evt').length; } },
  phone: () => { for (const e of ev) sink += toE164(e.phone, region).length; },
};
const res = Object.fromEntries(Object.keys(v).map(k => [k, []]));
for (let w = 0; w < 20; w++) for (const f of Object.values(v)) f();
for (let r = 0; r < 150; r++) for (const [k, f] of Object.entries(v)) { const s = process.cpuUsage(); f(); const u = process.cpuUsage(s); res[k].push((u.user + u.system) / N); }
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length * p)]; };
const f10 = q(res.floor, .1), f50 = q(res.floor, .5);
for (const [k, a] of Object.entries(res)) console.log(k.padEnd(10), 'p10', q(a, .1).toFixed(2), `(${(q(a, .1) / f10).toFixed(2)}×)`, 'med', q(a, .5).toFixed(2), `(${(q(a, .5) / f50).toFixed(2)}×)`);
