import type { RequestPermits, RequestRecords, RequestRecordInfo } from '@capconnect/queue';
import type { DiagnosticsStatus, Logger } from '@capconnect/telemetry';

/**
 * Polls Google's `requestStatus:retrieve` for recorded Data Manager requests
 * (docs/architecture.md#request-diagnostics, schedule in docs/decisions.md#diagnostics-poll-schedule).
 * Every worker runs one; the due set's atomic claims make exactly one of them poll a given record
 * at a time. Each status call spends a permit of the read quota, which Google counts apart from
 * ingestion (docs/platforms.md#dm-limits).
 *
 * Schedule: first poll `firstPollDelayMs` after sending (Google advises 30 min), then after
 * `firstPollDelayMs × 2^(n-1)` (capped at `maxBackoffMs`) while Google says PROCESSING, with a last
 * poll at `maxAgeMs` (24 h: Google's bound for a final status); still not final then ⇒ TIMED_OUT.
 */

/** What the poller needs from `DataManagerClient`. */
export interface RequestStatusReader {
  retrieveRequestStatus(requestId: string): Promise<{
    final: boolean;
    destinations: {
      conversionActionId: string | undefined; requestStatus: string; errorCounts: Record<string, number>;
      warningCounts: Record<string, number>; recordCount: number | undefined;
    }[];
  }>;
}

export interface DiagnosticsPollerOptions {
  records: RequestRecords;
  client: RequestStatusReader;
  /** The read quota (`google-read`). */
  permits: RequestPermits;
  metrics: { recordDiagnostics(provider: string, status: DiagnosticsStatus, reason: string, count: number): void };
  logger: Pick<Logger, 'info' | 'warn'>;
  /** How often to look for due records, in ms. */
  intervalMs: number;
  /** `GOOGLE_DIAGNOSTICS_DELAY_S` in ms: the first poll's delay and the backoff base. */
  firstPollDelayMs: number;
  /** Records claimed per look (default 10). */
  batchSize?: number;
  /** Longest wait between two polls of one record, in ms (default 4 h). */
  maxBackoffMs?: number;
  /** Give up this long after sending, in ms (default 24 h). */
  maxAgeMs?: number;
  nowMs?: () => number;
}

export interface DiagnosticsPoller {
  start(): void;
  /** Stops polling; an acquire waiting for a permit is aborted. Resolves when the current look is over. */
  stop(): Promise<void>;
  /** One look: claims due records and polls them. Returns how many were polled. For tests and `start`. */
  tick(): Promise<number>;
}

const DAY_MS = 86_400_000;

function errorFacts(error: unknown): { name: string; code?: string } {
  if (!(error instanceof Error)) return { name: 'unknown' };
  const { reason, code } = error as { reason?: unknown; code?: unknown };
  const text = typeof reason === 'string' ? reason : typeof code === 'string' ? code : undefined;
  return { name: error.name, ...(text !== undefined && { code: text }) };
}

export function createDiagnosticsPoller(options: DiagnosticsPollerOptions): DiagnosticsPoller {
  const now = options.nowMs ?? Date.now;
  const maxBackoffMs = options.maxBackoffMs ?? 4 * 3_600_000;
  const maxAgeMs = options.maxAgeMs ?? DAY_MS;
  const batchSize = options.batchSize ?? 10;
  const { records, metrics } = options;
  let controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let started = false;

  const count = (status: DiagnosticsStatus, reason: string, records_: number) => { metrics.recordDiagnostics('google', status, reason, records_); };

  async function unresolved(info: RequestRecordInfo, reason: 'INVALID_REQUEST_ID' | 'TIMED_OUT'): Promise<void> {
    if (await records.complete(info.requestId, { unresolved: reason }, now())) count('unresolved', reason, info.eventCount);
  }

  async function poll(info: RequestRecordInfo): Promise<void> {
    const nowMs = now();
    const deadline = info.sentAtMs + maxAgeMs;
    const retryAt = () => Math.min(nowMs + Math.min(options.firstPollDelayMs * 2 ** Math.max(0, info.attempts - 1), maxBackoffMs), deadline);
    await options.permits.acquire(controller.signal);
    let status: Awaited<ReturnType<RequestStatusReader['retrieveRequestStatus']>>;
    try {
      status = await options.client.retrieveRequestStatus(info.requestId);
    } catch (error) {
      const facts = errorFacts(error);
      if (facts.code === 'INVALID_REQUEST_ID') { await unresolved(info, 'INVALID_REQUEST_ID'); return; }
      if (nowMs >= deadline) { await unresolved(info, 'TIMED_OUT'); return; }
      options.logger.warn({ provider: 'google', requestId: info.requestId, ...facts }, 'request status could not be read; polling again later');
      await records.reschedule(info.requestId, retryAt());
      return;
    }
    if (!status.final) {
      if (nowMs >= deadline) await unresolved(info, 'TIMED_OUT');
      else await records.reschedule(info.requestId, retryAt(), nowMs);
      return;
    }
    if (!await records.complete(info.requestId, { destinations: status.destinations }, nowMs)) return;
    for (const destination of status.destinations) {
      const failed = Object.values(destination.errorCounts).reduce((sum, n) => sum + n, 0);
      count('processed', 'none', Math.max(0, (destination.recordCount ?? 0) - failed));
      for (const [reason, n] of Object.entries(destination.errorCounts)) count('failed', reason, n);
      for (const [reason, n] of Object.entries(destination.warningCounts)) count('warning', reason, n);
    }
  }

  async function tick(): Promise<number> {
    const claimed = await records.claimDue(now(), batchSize);
    let polled = 0;
    for (const requestId of claimed) {
      if (controller.signal.aborted) break; // the claim's lease returns it to another worker
      const info = await records.get(requestId);
      if (info === undefined) continue;
      await poll(info);
      polled += 1;
    }
    return polled;
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = tick().catch((error: unknown) => {
        if (!controller.signal.aborted) options.logger.warn({ provider: 'google', ...errorFacts(error) }, 'diagnostics poll failed');
        return 0;
      });
      void running.finally(() => { running = undefined; if (started) schedule(); });
    }, options.intervalMs);
    timer.unref();
  }

  return {
    start() {
      if (started) return;
      started = true;
      controller = new AbortController();
      schedule();
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      controller.abort(new Error('diagnostics poller stopped'));
      await running;
    },
    tick,
  };
}
