import express, { type Express, type RequestHandler } from 'express';
import { createTokenVerifier, requireSignature, requireToken } from './auth.js';
import { readRawBody, requireJson } from './body.js';
import { ingestBatchHandler, collectHandler } from './collect.js';
import type { AppDeps, AppInput } from './deps.js';
import { errorHandler, sendError } from './errors.js';
import { eventStatusHandler } from './events.js';
import { observeRequests, routeLabel } from './observe.js';
import { previewHandler } from './preview.js';
import { createWaitGate } from './wait.js';

/**
 * The ingest service (docs/architecture.md#ingest-api) as an Express app: no listening, no globals. Every `/v1` route runs
 * the same chain, cheapest check first: route label → token → (POST: JSON media type → raw body
 * with size cap) → signature over method, path, query and raw body → handler. The body is parsed only once the
 * request is known to be authentic.
 */
export function createApp(input: AppInput): Express {
  const deps: AppDeps = { ...input, waitGate: input.waitGate ?? createWaitGate(input.config.waitMaxConcurrent) };
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');

  const verifyToken = createTokenVerifier(deps.config.webhookSecrets);
  const authenticated = [requireToken(verifyToken)];
  const signed = requireSignature({
    secret: deps.config.webhookSigningSecret, acceptV1: deps.config.webhookSigningAcceptV1, ledger: deps.signatureLedger, clock: deps.clock,
  });
  const jsonBody = [requireJson, ...readRawBody(deps.config.bodyLimitBytes)];
  const post = (path: string, handler: RequestHandler) => {
    app.post(path, routeLabel(path), ...authenticated, ...jsonBody, signed, handler);
  };

  app.use(observeRequests(deps.metrics, deps.logger));

  post('/v1/collect', collectHandler(deps));
  post('/v1/collect/batch', ingestBatchHandler(deps));
  post('/v1/preview', previewHandler(deps));
  app.get('/v1/events/:eventId', routeLabel('/v1/events/:eventId'), ...authenticated, signed, eventStatusHandler(deps));

  app.get('/healthz', routeLabel('/healthz'), (_req, res) => {
    res.json({
      status: 'ok',
      service: 'api',
      providers: { meta: deps.config.meta.enabled, google: deps.config.google.enabled },
    });
  });

  // The configuration was validated before this app existed (loadConfig throws otherwise), so
  // readiness is Redis answering.
  app.get('/readyz', routeLabel('/readyz'), async (_req, res) => {
    const redis = await deps.producer.ping();
    deps.metrics.redisUp.set(redis ? 1 : 0);
    res.status(redis ? 200 : 503).json({ status: redis ? 'ready' : 'not_ready', checks: { redis, config: true } });
  });

  app.use((_req, res) => {
    sendError(res, 404, 'not_found', 'no such route');
  });
  app.use(errorHandler(deps.logger));
  return app;
}
