import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealError, createKeyring, generateKeyText } from './seal.js';

const keyA = generateKeyText();
const keyB = generateKeyText();

describe('sealing with AES-256-GCM', () => {
  it('never repeats a nonce: 10,000 seals, 10,000 distinct nonces, each opening', () => {
    const keyring = createKeyring(generateKeyText());
    const sealed = Array.from({ length: 10_000 }, (_, i) => keyring.seal(`value-${i}`, 'meta:e'));
    expect(new Set(sealed.map((value) => value.split('.')[2])).size).toBe(10_000);
    sealed.forEach((value, i) => { expect(keyring.unseal(value, 'meta:e')).toBe(`value-${i}`); });
  });

  it('round-trips any text and never shows the plaintext in the sealed form', () => {
    const ring = createKeyring(keyA);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 4 }), fc.string(), (plaintext, aad) => {
        const sealed = ring.seal(plaintext, aad);
        expect(sealed.includes(plaintext)).toBe(false);
        expect(ring.unseal(sealed, aad)).toBe(plaintext);
      }),
    );
  });

  it('uses a fresh nonce every time', () => {
    const ring = createKeyring(keyA);
    expect(ring.seal('203.0.113.7', 'meta:e1')).not.toBe(ring.seal('203.0.113.7', 'meta:e1'));
  });

  it('detects any tampering with the ciphertext, nonce or tag', () => {
    const ring = createKeyring(keyA);
    const sealed = ring.seal('{"ip":"203.0.113.7"}', 'meta:e1');
    const [version, keyId, nonce, body] = sealed.split('.') as [string, string, string, string];
    fc.assert(
      fc.property(fc.nat({ max: body.length - 1 }), fc.boolean(), (position, inNonce) => {
        const target = inNonce ? nonce : body;
        const index = position % target.length;
        const replacement = target[index] === 'A' ? 'B' : 'A';
        const changed = target.slice(0, index) + replacement + target.slice(index + 1);
        const forged = inNonce ? [version, keyId, changed, body] : [version, keyId, nonce, changed];
        // base64url's last character may carry unused bits; only a change to real bits must fail.
        const decodedSame = Buffer.from(changed, 'base64url').equals(Buffer.from(target, 'base64url'));
        if (!decodedSame) expect(() => ring.unseal(forged.join('.'), 'meta:e1')).toThrow(SealError);
      }),
    );
  });

  it('binds a sealed value to its job: other associated data does not open it', () => {
    const ring = createKeyring(keyA);
    const sealed = ring.seal('Cj0KCQ-click', 'google:order-1');
    expect(() => ring.unseal(sealed, 'google:order-2')).toThrow(SealError);
  });

  it('fails loudly with a wrong key or an unknown key id', () => {
    const sealed = createKeyring(keyA).seal('secret', 'aad');
    expect(() => createKeyring(keyB).unseal(sealed, 'aad')).toThrow(/unknown key id/);
    const [version, , nonce, body] = sealed.split('.') as [string, string, string, string];
    const ringB = createKeyring(keyB);
    // A blob relabelled with key B's id still fails: the tag does not verify under key B.
    expect(() => ringB.unseal([version, ringB.currentKeyId, nonce, body].join('.'), 'aad')).toThrow(/failed authentication/);
  });

  it('rotates: the first key seals, every listed key opens', () => {
    const oldRing = createKeyring(keyA);
    const rotated = createKeyring(`${keyB}, ${keyA}`);
    const sealedBefore = oldRing.seal('old', 'aad');
    expect(rotated.unseal(sealedBefore, 'aad')).toBe('old');
    const sealedAfter = rotated.seal('new', 'aad');
    expect(sealedAfter.split('.')[1]).toBe(createKeyring(keyB).currentKeyId);
    expect(rotated.keyIds).toHaveLength(2);
    expect(() => oldRing.unseal(sealedAfter, 'aad')).toThrow(SealError);
  });

  it('rejects malformed sealed values', () => {
    const ring = createKeyring(keyA);
    for (const bad of ['', 'v1', 'v2.a.b.c', 'v1.x.y', `v1.${ring.currentKeyId}.AAAA.AAAA`, 'v1.a.b.c.d']) {
      expect(() => ring.unseal(bad, 'aad')).toThrow(SealError);
    }
  });

  it('rejects keys that are not 32 bytes of base64, naming the position but not the value', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    expect(() => createKeyring(`${keyA},${short}`)).toThrow('QUEUE_ENCRYPTION_KEY key #2 is not base64 of exactly 32 bytes');
    try {
      createKeyring(short);
    } catch (error) {
      expect(String(error)).not.toContain(short);
    }
    expect(() => createKeyring(' , ')).toThrow(/holds no key/);
    expect(() => createKeyring('not base64 at all!!')).toThrow(SealError);
  });
});
