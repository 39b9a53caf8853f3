import { createCipheriv, createSecretKey, randomBytes, hash } from 'node:crypto';
import { createKeyring, generateKeyText } from './dist/index.js';
import { createKeyring as oldRing } from './.before/dist/index.js';
const N = 300;
const keyText = generateKeyText();
const ring = createKeyring(keyText); const ring0 = oldRing(keyText);
const key = Buffer.from(keyText, 'base64'); const ko = createSecretKey(key);
const ev = Array.from({ length: N }, (_, i) => ({
  raw: [`john.doe${i}@example.com`, `(212) 555-${String(i).padStart(4, '0')}`, 'John', "O'Brien", 'New York', 'NY', '10001', 'US', `203.0.113.${i % 255}`, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
  meta: { clientIpAddress: `203.0.113.${i % 255}`, clientUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', fbc: `fb.1.1732900000000.IwAR${i}x9Zk`, eventSourceUrl: `https://shop.example.com/thanks?o=${i}` },
}));
const pts = ev.map(e => JSON.stringify(e.meta));
let sink = 0;
const iv = randomBytes(12);
const v = {
  floor: () => { for (const e of ev) for (const r of e.raw) sink += hash('sha256', r).length; },
  stringify: () => { for (const e of ev) sink += JSON.stringify(e.meta).length; },
  ringSeal: () => { for (const p of pts) sink += ring.seal(p, 'meta:evt').length; },
  oldRingSeal: () => { for (const p of pts) sink += ring0.seal(p, 'meta:evt').length; },
  rawKO: () => { for (const p of pts) { const c = createCipheriv('aes-256-gcm', ko, iv); c.setAAD(Buffer.from('meta:evt')); const u = c.update(p, 'utf8'); c.final(); sink += Buffer.concat([u, c.getAuthTag()]).toString('base64url').length; } },
  rawBuf: () => { for (const p of pts) { const c = createCipheriv('aes-256-gcm', key, iv); c.setAAD(Buffer.from('meta:evt')); const u = c.update(p, 'utf8'); c.final(); sink += Buffer.concat([u, c.getAuthTag()]).toString('base64url').length; } },
  createOnly: () => { for (const p of pts) { const c = createCipheriv('aes-256-gcm', ko, iv); sink += 1; } },
  createUpdate: () => { for (const p of pts) { const c = createCipheriv('aes-256-gcm', ko, iv); sink += c.update(p, 'utf8').length; } },
  createUpdFinal: () => { for (const p of pts) { const c = createCipheriv('aes-256-gcm', ko, iv); sink += c.update(p, 'utf8').length; c.final(); } },
  createUpdFinalTag: () => { for (const p of pts) { const c = createCipheriv('aes-256-gcm', ko, iv); sink += c.update(p, 'utf8').length; c.final(); sink += c.getAuthTag().length; } },
};
const res = Object.fromEntries(Object.keys(v).map(k => [k, []]));
for (let w = 0; w < 20; w++) for (const f of Object.values(v)) f();
for (let r = 0; r < 150; r++) for (const [k, f] of Object.entries(v)) { const s = process.cpuUsage(); f(); const u = process.cpuUsage(s); res[k].push((u.user + u.system) / N); }
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length * p)]; };
const f10 = q(res.floor, .1), f50 = q(res.floor, .5);
for (const [k, a] of Object.entries(res)) console.log(k.padEnd(18), 'p10', q(a, .1).toFixed(2), `(${(q(a, .1) / f10).toFixed(2)}×)`, 'med', q(a, .5).toFixed(2), `(${(q(a, .5) / f50).toFixed(2)}×)`);
