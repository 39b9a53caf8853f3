export { createApp } from './app.js';
export type { AppDeps, AppInput } from './deps.js';
export { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export { SIGNATURE_HEADER, TOKEN_HEADER } from './auth.js';
export { SIGNATURE_TOLERANCE_S, canonicalQuery, signBody, signRequestV2, signatureHeaderV2, type SignedRequest } from './signature.js';
export { redisSignatureLedger, type SignatureLedger } from './replay.js';
export { JSON_LIMITS } from './body.js';
export { MAX_WAIT_S, WAIT_HEADER, createWaitGate, type WaitGate } from './wait.js';
export { SEALED, previewAnswer, providerPayloadOf } from './preview.js';
