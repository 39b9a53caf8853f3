import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createControl, handleControl, type SandboxControl } from './control.js';
import { handleIngest, handleRetrieve, newDmRequestId } from './data-manager.js';
import { dataManagerFaultReply } from './data-manager-errors.js';
import { DataManagerState } from './data-manager-state.js';
import { FaultInjector, type ActiveFault, type SandboxProvider } from './faults.js';
import { googleFaultReply, rowFault } from './google-errors.js';
import { handleGoogleUpload, newGoogleRoute, type GoogleMethod } from './google.js';
import { BodyTooLargeError, readBody, sendJson, type IncomingCall, type Reply } from './http.js';
import { handleMetaEvents, metaFaultReply } from './meta.js';
import { handleToken, oauthFaultReply, TokenStore } from './oauth.js';
import { resolveOptions, type ResolvedOptions, type SandboxOptions } from './options.js';
import { SandboxState } from './state.js';

const META_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/events$/;
const GOOGLE_PATH = /^\/(v\d+)\/customers\/([^/:]+):(uploadClickConversions|uploadConversionAdjustments)$/;

/** A routed request: which fake answers it and how. */
type Route =
  | { provider: 'meta'; version: string; pixelId: string }
  | { provider: 'google'; version: string; customerId: string; method: GoogleMethod }
  | { provider: 'oauth' }
  | { provider: 'datamanager'; method: 'ingest' | 'retrieve' };

function route(method: string, path: string): Route | undefined {
  const colon = path.replace(/%3A/gi, ':');
  if (method === 'POST' && colon === '/v1/events:ingest') return { provider: 'datamanager', method: 'ingest' };
  if (method === 'GET' && colon === '/v1/requestStatus:retrieve') return { provider: 'datamanager', method: 'retrieve' };
  if (method !== 'POST') return undefined;
  if (path === '/token') return { provider: 'oauth' };
  const meta = META_PATH.exec(path);
  if (meta?.[1] !== undefined && meta[2] !== undefined) return { provider: 'meta', version: meta[1], pixelId: meta[2] };
  const google = GOOGLE_PATH.exec(path.replace(/%3A/gi, ':'));
  if (google === null) return undefined;
  const [, version = '', customerId = '', rpc = ''] = google;
  return { provider: 'google', version, customerId, method: rpc as GoogleMethod };
}

/** The sandbox's HTTP handler without a listening socket (tests can drive it; `startSandbox` listens). */
export interface SandboxApp {
  server: Server;
  control: SandboxControl;
  options: ResolvedOptions;
  /** Ends hung responses and pending delays; used by `close()`. */
  abortPending(): void;
}

export function createSandboxApp(input: SandboxOptions = {}): SandboxApp {
  const options = resolveOptions(input);
  const state = new SandboxState();
  const faults = new FaultInjector(options.seed);
  for (const spec of options.faults) faults.add(spec);
  const tokens = new TokenStore(options.google.staticAccessTokens);
  const dm = new DataManagerState();
  const control = createControl(state, faults, tokens, dm);
  const ctx = { options, state, tokens, dm };
  const hung = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(() => { timers.delete(timer); resolve(); }, ms);
    timers.add(timer);
  });

  /** A fault's own reply, 'handled' when the fault already dealt with the socket, or undefined to go on. */
  function applyFault(fault: ActiveFault, target: Route, res: ServerResponse, req: IncomingMessage): Reply | 'handled' | 'delay' | undefined {
    switch (fault.kind) {
      case 'drop':
        req.socket.destroy();
        return 'handled';
      case 'hang':
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return 'handled';
      case 'delay':
        return 'delay';
      default:
        break;
    }
    if (target.provider === 'meta') return metaFaultReply(fault);
    if (target.provider === 'oauth') return oauthFaultReply(fault);
    if (target.provider === 'datamanager') return dataManagerFaultReply(fault, newDmRequestId());
    const googleRoute = newGoogleRoute(target.version, target.customerId, target.method);
    return googleFaultReply(fault, target.version, googleRoute.requestId);
  }

  function answer(target: Route, call: IncomingCall, rowLevel: ActiveFault | undefined): Reply {
    switch (target.provider) {
      case 'meta': return handleMetaEvents(ctx, call, target.pixelId, target.version);
      case 'oauth': return handleToken(ctx, call);
      case 'google': return handleGoogleUpload(ctx, call, newGoogleRoute(target.version, target.customerId, target.method), rowLevel);
      case 'datamanager': return target.method === 'ingest' ? handleIngest(ctx, call, rowLevel) : handleRetrieve(ctx, call);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const body = await readBody(req, options.maxBodyBytes);
    if (url.pathname.startsWith('/__control/')) {
      const reply = handleControl(control, method, url.pathname, url.searchParams, body);
      sendJson(res, reply.status, reply.body, reply.headers);
      return;
    }
    const target = route(method, url.pathname);
    if (target === undefined) {
      sendJson(res, 404, { error: 'not_found', message: `the sandbox has no route ${method} ${url.pathname}` });
      return;
    }
    countRequest(target.provider);
    const call: IncomingCall = { method, query: url.searchParams, headers: req.headers, body };
    let rowLevel: ActiveFault | undefined;
    const fault = faults.pick(target.provider);
    if (fault !== undefined) {
      countFault(target.provider);
      const outcome = applyFault(fault, target, res, req);
      if (outcome === 'handled') return;
      if (outcome === 'delay') await sleep(fault.delayMs ?? 1000);
      else if (outcome !== undefined) {
        sendJson(res, outcome.status, outcome.body, outcome.headers);
        return;
      } else if (fault.kind === 'refuse-event' || fault.kind === 'field-warning' || rowFault(fault, false) !== undefined) rowLevel = fault;
    }
    const reply = answer(target, call, rowLevel);
    sendJson(res, reply.status, reply.body, reply.headers);
  }

  function countRequest(provider: SandboxProvider): void {
    if (provider === 'oauth') return;
    if (provider === 'datamanager') {
      dm.stats.requests += 1;
      return;
    }
    state[provider].requests += 1;
  }

  function countFault(provider: SandboxProvider): void {
    if (provider === 'oauth') state.oauth.faulted += 1;
    else if (provider === 'datamanager') dm.stats.faulted += 1;
    else state[provider].faulted += 1;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: 'payload_too_large', message: error.message }, { connection: 'close' });
      else sendJson(res, 500, { error: 'sandbox_internal_error', message: error instanceof Error ? error.name : 'unknown' });
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    control,
    options,
    abortPending() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const res of hung) res.destroy();
      hung.clear();
    },
  };
}

/** A listening sandbox. */
export interface Sandbox {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  /** Use as META_API_BASE_URL (the version and pixel follow). */
  metaBaseUrl: string;
  /** Use as GOOGLE_ADS_API_BASE_URL (the version and customer follow). */
  googleAdsBaseUrl: string;
  /** Use as GOOGLE_OAUTH_TOKEN_URI. */
  oauthTokenUrl: string;
  /** Use as DATA_MANAGER_API_BASE_URL (`/v1/events:ingest` follows). */
  dataManagerBaseUrl: string;
  control: SandboxControl;
  close(): Promise<void>;
}

/** Starts one HTTP server that serves the Meta, Google Ads, Data Manager and OAuth fakes and the control API. */
export async function startSandbox(input: SandboxOptions = {}): Promise<Sandbox> {
  const app = createSandboxApp(input);
  const { server } = app;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(app.options.port, app.options.host, () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  const host = app.options.host.includes(':') ? `[${app.options.host}]` : app.options.host;
  const url = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    metaBaseUrl: url,
    googleAdsBaseUrl: url,
    oauthTokenUrl: `${url}/token`,
    dataManagerBaseUrl: url,
    control: app.control,
    close() {
      closing ??= new Promise<void>((resolve) => {
        app.abortPending();
        server.close(() => { resolve(); });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
