export { createApp } from './app.js';
export type { AppDeps } from './deps.js';
export { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';
export { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_S, TOKEN_HEADER, signBody } from './auth.js';
export { JSON_LIMITS } from './body.js';
export { MAX_WAIT_S } from './wait.js';
export { SEALED, previewAnswer, providerPayloadOf } from './preview.js';
