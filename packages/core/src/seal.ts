import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/**
 * AES-256-GCM sealing of the personal fields that providers want in plain text (IP, user agent,
 * click ids, page URL, …), so that Redis only ever holds ciphertext (docs/architecture.md#sealing).
 *
 * Sealed form: `v1.<keyId>.<nonce>.<ciphertext+tag>` (base64url parts). The key id is derived from
 * the key itself, so rotation needs no bookkeeping: put the new key first in
 * `QUEUE_ENCRYPTION_KEY`, keep the old one after it until the queue has drained.
 * The associated data binds a sealed blob to its job (destination + event id): a blob copied into
 * another job does not open.
 */

const VERSION = 'v1';
const NONCE_BYTES = 12; // 96-bit nonce, the size GCM is specified for (NIST SP 800-38D).
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Sealing failed or a sealed value did not open. The message never contains key or plaintext. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

export interface Keyring {
  /** The id of the key that seals new values. */
  readonly currentKeyId: string;
  /** Ids of every key that can open values, current first. */
  readonly keyIds: readonly string[];
  seal(plaintext: string, associatedData: string): string;
  unseal(sealed: string, associatedData: string): string;
}

/**
 * Nonces come from a pool of random bytes filled 256 nonces at a time: one CSPRNG call per 256
 * seals instead of one per seal (that call was ~1.5% of the api's CPU per request). Each slice is
 * handed out once; an exhausted pool is replaced, never refilled in place, so a nonce given out
 * never changes. Uniqueness still rests on 96 random bits per nonce, as before
 * (docs/decisions.md#seal-keys-and-nonces). The pool is also kept as base64url
 * text: 12 bytes are exactly 16 characters, so each nonce's text is a slice of it, not an encoding.
 */
const NONCE_POOL_SIZE = 256;
const NONCE_TEXT_LENGTH = (NONCE_BYTES / 3) * 4;
let noncePool = Buffer.alloc(0);
let noncePoolText = '';
let nonceIndex = NONCE_POOL_SIZE;

/** The next unused nonce, and its base64url text. */
function nextNonce(): { nonce: Buffer; text: string } {
  if (nonceIndex === NONCE_POOL_SIZE) {
    noncePool = randomBytes(NONCE_BYTES * NONCE_POOL_SIZE);
    noncePoolText = noncePool.toString('base64url');
    nonceIndex = 0;
  }
  const index = nonceIndex;
  nonceIndex += 1;
  return {
    nonce: noncePool.subarray(index * NONCE_BYTES, (index + 1) * NONCE_BYTES),
    text: noncePoolText.slice(index * NONCE_TEXT_LENGTH, (index + 1) * NONCE_TEXT_LENGTH),
  };
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('capconnect-key-id').update(key).digest('hex').slice(0, 8);
}

/**
 * Builds a keyring from `QUEUE_ENCRYPTION_KEY`: one or more base64 32-byte keys, comma-separated;
 * the first seals, all open. Throws `SealError` naming the position of a bad key, never its value.
 */
export function createKeyring(spec: string): Keyring {
  const parts = spec.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (parts.length === 0) throw new SealError('QUEUE_ENCRYPTION_KEY holds no key');
  // KeyObjects made once: createCipheriv then takes the key as is instead of checking and copying
  // raw bytes on every seal.
  const keys = new Map<string, KeyObject>();
  parts.forEach((part, position) => {
    const key = Buffer.from(part, 'base64');
    if (key.length !== KEY_BYTES || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(part)) {
      throw new SealError(`QUEUE_ENCRYPTION_KEY key #${position + 1} is not base64 of exactly ${KEY_BYTES} bytes`);
    }
    keys.set(keyIdOf(key), createSecretKey(key));
  });
  const keyIds = [...keys.keys()];
  const currentKeyId = keyIds[0];
  const currentKey = currentKeyId === undefined ? undefined : keys.get(currentKeyId);
  if (currentKeyId === undefined || currentKey === undefined) throw new SealError('QUEUE_ENCRYPTION_KEY holds no key');

  return {
    currentKeyId,
    keyIds,
    seal(plaintext, associatedData) {
      const { nonce, text } = nextNonce();
      const cipher = createCipheriv('aes-256-gcm', currentKey, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const ciphertext = cipher.update(plaintext, 'utf8');
      cipher.final(); // GCM is a stream mode: final() returns no bytes, it computes the tag.
      const body = Buffer.concat([ciphertext, cipher.getAuthTag()], ciphertext.length + TAG_BYTES);
      return `${VERSION}.${currentKeyId}.${text}.${body.toString('base64url')}`;
    },
    unseal(sealed, associatedData) {
      const [version, keyId, nonceText, bodyText, extra] = sealed.split('.');
      if (version !== VERSION || keyId === undefined || nonceText === undefined || bodyText === undefined || extra !== undefined) {
        throw new SealError('sealed value is malformed');
      }
      const key = keys.get(keyId);
      if (!key) throw new SealError(`sealed value uses unknown key id ${keyId}`);
      const nonce = Buffer.from(nonceText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new SealError('sealed value is malformed');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new SealError('sealed value failed authentication (tampered, wrong key or wrong job)', { cause: error });
      }
    },
  };
}

/** A fresh random key in the form `QUEUE_ENCRYPTION_KEY` expects (for the local stack and tests). */
export function generateKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
