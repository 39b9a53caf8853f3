import type { AdsApiMode } from '@capconnect/core';
import { ConfigurationError, PermanentError, TransientError, errorCode, type EventResult, type ProviderError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http.js';
import type { RequestObserver } from '../observer.js';
import { GOOGLE_ADS_DEFAULT_MAX_REQUEST_BYTES, isTooLargeResponse, jsonBytes, planByBytes } from '../request-budget.js';
import { ALREADY_RECORDED, classifyGoogleResponse } from './classify.js';
import type { TokenProvider } from './oauth.js';
import type { GoogleRow } from './payload.js';

export interface GoogleClientOptions {
  http: HttpClient;
  tokens: TokenProvider;
  /** `GOOGLE_ADS_API_BASE_URL`, no trailing slash. */
  apiBaseUrl: string;
  apiVersion: string;
  customerId: string;
  /**
   * `GOOGLE_DEVELOPER_TOKEN`, sent as `developer-token` only when set: Google retired developer tokens
   * on 2026-09-09 (access belongs to the Cloud project), docs/platforms.md#google-ads-status-in-2026.
   */
  developerToken?: string | undefined;
  loginCustomerId?: string | undefined;
  validateOnly: boolean;
  /** `GOOGLE_ADS_MAX_REQUEST_BYTES`: byte budget of one request body. Default 8 MiB. */
  maxRequestBytes?: number | undefined;
  onRequest?: RequestObserver;
}

/** A request the front end refused as too large: split it, never a verdict on its rows. */
const TOO_LARGE = Symbol('too large');

const METHOD: Record<AdsApiMode, { path: string; field: string }> = {
  click: { path: 'uploadClickConversions', field: 'conversions' },
  enhancement: { path: 'uploadConversionAdjustments', field: 'conversionAdjustments' },
};

/**
 * Uploads rows of one mode for the configured customer in one request, `partialFailure: true`
 * always ("This should always be set to true", ConversionUploadService proto), and maps
 * `partialFailureError` back to the rows. A 401 triggers one forced token refresh and one retry.
 * Rows are split into requests within a byte budget, and a request refused as too large (413,
 * "payload size exceeds the limit") is halved and re-sent; only a row too large on its own fails
 * (`payload_too_large`).
 */
export class GoogleClient {
  constructor(private readonly options: GoogleClientOptions) {}

  async send(mode: AdsApiMode, rows: readonly GoogleRow[]): Promise<EventResult[]> {
    const results = new Array<EventResult | undefined>(rows.length);
    const envelope = jsonBytes({ [METHOD[mode].field]: [], partialFailure: true, validateOnly: true });
    const plan = planByBytes(rows.map(jsonBytes), this.options.maxRequestBytes ?? GOOGLE_ADS_DEFAULT_MAX_REQUEST_BYTES, envelope);
    for (const index of plan.oversized) results[index] = { kind: 'error', error: new PermanentError({ reason: 'payload_too_large' }) };
    for (const indices of plan.requests) await this.sendPart(mode, rows, indices, results);
    return results.map((result) => result ?? { kind: 'error', error: new TransientError({ code: 'invalid_response' }) });
  }

  private async sendPart(mode: AdsApiMode, rows: readonly GoogleRow[], indices: number[], results: (EventResult | undefined)[]): Promise<void> {
    const outcome = await this.request(mode, indices.map((index) => rows[index] as GoogleRow));
    if (outcome === TOO_LARGE) {
      if (indices.length === 1) {
        results[indices[0] as number] = { kind: 'error', error: new PermanentError({ reason: 'payload_too_large' }) };
        return;
      }
      const middle = Math.ceil(indices.length / 2);
      await this.sendPart(mode, rows, indices.slice(0, middle), results);
      await this.sendPart(mode, rows, indices.slice(middle), results);
      return;
    }
    for (const [position, index] of indices.entries()) results[index] = outcome[position];
  }

  private async request(mode: AdsApiMode, rows: readonly GoogleRow[]): Promise<EventResult[] | typeof TOO_LARGE> {
    const { field, path } = METHOD[mode];
    const { options } = this;
    const url = `${options.apiBaseUrl}/${options.apiVersion}/customers/${options.customerId}:${path}`;
    const body = { [field]: rows, partialFailure: true, ...(options.validateOnly && { validateOnly: true }) };
    const failAll = (error: ProviderError): EventResult[] => rows.map(() => ({ kind: 'error', error }));

    let token: string;
    try {
      token = await options.tokens.token();
    } catch (error) {
      return failAll(asProviderError(error));
    }
    let response = await this.post(url, body, token, rows.length);
    if (response instanceof Error) return failAll(response);
    let classified = classifyGoogleResponse(response, rows.length);
    if (!classified.ok && classified.refreshable) {
      this.observe(response, rows.length, errorCode(classified.error));
      try {
        token = await options.tokens.renew(token);
      } catch (error) {
        return failAll(asProviderError(error));
      }
      response = await this.post(url, body, token, rows.length);
      if (response instanceof Error) return failAll(response);
      classified = classifyGoogleResponse(response, rows.length);
      if (!classified.ok && classified.refreshable) {
        // A fresh token rejected again: credentials are wrong, not stale.
        classified = { ...classified, error: new ConfigurationError({ code: errorCode(classified.error), httpStatus: 401, reference: classified.error.reference }) };
      }
    }
    const httpStatus = response.status;
    this.observe(response, rows.length, classified.ok ? undefined : errorCode(classified.error));
    if (!classified.ok && isTooLargeResponse(httpStatus, response.json)) return TOO_LARGE;
    if (!classified.ok) {
      const whole = classified.error;
      // Rows Google did not blame in a rejected request were not recorded: send them again.
      const innocent = classified.rowErrors.size > 0 ? new TransientError({ code: 'batch_rejected', httpStatus, reference: whole.reference }) : whole;
      return rows.map((_, index) => ({ kind: 'error', error: classified.rowErrors.get(index) ?? innocent }));
    }
    return rows.map((_, index): EventResult => {
      const error = classified.rowErrors.get(index);
      if (error !== undefined && !(error instanceof PermanentError && ALREADY_RECORDED.has(error.reason))) return { kind: 'error', error };
      return {
        kind: 'sent', httpStatus, batchSize: rows.length,
        ...(classified.reference !== undefined && { reference: classified.reference }),
        ...(options.validateOnly && { validateOnly: true }),
      };
    });
  }

  private async post(url: string, body: unknown, token: string, rows: number): Promise<HttpResponse | TransientError> {
    const { options } = this;
    const started = performance.now();
    try {
      return await options.http.post(url, body, {
        authorization: `Bearer ${token}`,
        ...(options.developerToken !== undefined && options.developerToken !== '' && { 'developer-token': options.developerToken }),
        ...(options.loginCustomerId !== undefined && { 'login-customer-id': options.loginCustomerId }),
      });
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      options.onRequest?.({ provider: 'google', httpStatus: undefined, durationMs: performance.now() - started, batchSize: rows, errorCode: error.code });
      return error;
    }
  }

  private observe(response: HttpResponse, rows: number, code: string | undefined): void {
    this.options.onRequest?.({ provider: 'google', httpStatus: response.status, durationMs: response.durationMs, batchSize: rows, ...(code !== undefined && { errorCode: code }) });
  }
}

function asProviderError(error: unknown): ProviderError {
  if (error instanceof ConfigurationError || error instanceof TransientError) return error;
  return new TransientError({ code: 'oauth_error' });
}
