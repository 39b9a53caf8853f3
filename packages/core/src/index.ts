// Public API of @capconnect/core. Keep the seal and types exports: packages/queue and the workers use them.
export * from './types.js';
export { SealError, createKeyring, generateKeyText, type Keyring } from './seal.js';
