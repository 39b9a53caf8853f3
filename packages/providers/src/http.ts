import { Agent, request } from 'undici';
import { TransientError } from './errors.js';

/**
 * The one HTTP path to provider APIs: a keep-alive connection pool (undici `Agent`) and a hard
 * per-request deadline (`HTTP_TIMEOUT_MS`) through an abort signal. Network failures and timeouts
 * become `TransientError`s here; HTTP statuses are left to each provider's classifier.
 */

export interface HttpClientOptions {
  /** Deadline of one request, headers and body included, in ms (`HTTP_TIMEOUT_MS`). */
  timeoutMs: number;
  /**
   * Sockets kept per origin, a count: batches are large, requests are few.
   * @defaultValue 16
   */
  connectionsPerOrigin?: number;
  /**
   * How long an idle keep-alive socket is kept, in ms.
   * @defaultValue 30000
   */
  keepAliveTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  json: unknown;
  durationMs: number;
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 16,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeout: 600_000,
    });
  }

  /**
   * POSTs `body` (an object, sent as JSON, or a string with its own content type). Throws
   * `TransientError` with code `timeout` or `network` when no complete response arrived.
   */
  post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const isForm = typeof body === 'string';
    return this.send(url, 'POST', isForm ? body : JSON.stringify(body), {
      'content-type': isForm ? 'application/x-www-form-urlencoded' : 'application/json', accept: 'application/json', ...headers,
    });
  }

  /** GETs `url` (Data Manager `requestStatus:retrieve`); failures as for `post`. */
  get(url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.send(url, 'GET', undefined, { accept: 'application/json', ...headers });
  }

  private async send(url: string, method: 'GET' | 'POST', body: string | undefined, headers: Record<string, string>): Promise<HttpResponse> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await request(url, { method, dispatcher: this.agent, signal, headers, ...(body !== undefined && { body }) });
      const text = await response.body.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, headers: response.headers, json, durationMs: performance.now() - started };
    } catch (error) {
      const timedOut = signal.aborted || (error instanceof Error && /timeout/i.test(error.name));
      throw new TransientError({ code: timedOut ? 'timeout' : 'network' });
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
