import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  port: number;
  /** The interface actually bound, e.g. `127.0.0.1`. */
  address: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on its own port (docs/decisions.md#metrics-on-their-own-port), so the ingest port
 * can be exposed to the internet while metrics stay on the private network. It has no
 * authentication, so it binds loopback unless told otherwise (`METRICS_HOST`; containers and
 * pods set `0.0.0.0` for Prometheus and the kubelet).
 */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = '127.0.0.1',
  options: { health?: () => Record<string, unknown>; ready?: () => boolean } = {},
): Promise<MetricsServer> {
  const { health, ready } = options;
  const server = createServer((req, res) => {
    // A process without a public port (the worker) answers its liveness probe here.
    if (health && req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...health() }));
      return;
    }
    // Readiness (a Kubernetes readinessProbe): 503 takes the pod out of rotation without restarting it.
    if (ready && req.method === 'GET' && req.url === '/readyz') {
      const isReady = ready();
      res.writeHead(isReady ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: isReady ? 'ready' : 'not ready' }));
      return;
    }
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { resolve(); });
  });
  return {
    port: (server.address() as AddressInfo).port,
    address: (server.address() as AddressInfo).address,
    close: () => new Promise((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); }),
  };
}
