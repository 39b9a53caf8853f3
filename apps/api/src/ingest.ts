import type { Config } from '@capconnect/config';
import {
  parseIngestItem,
  prepareEvent,
  type ContractIssue,
  type PreparedEvent,
  type PrepareOptions,
  type PrepareResult,
  type Provider,
  type Skip,
  type Warning,
} from '@capconnect/core';
import type { EnqueuedJob, Producer } from '@capconnect/queue';
import type { Logger, Metrics } from '@capconnect/telemetry';

/**
 * The ingest step shared by every POST route: contract check and normalization (core, in memory),
 * then one enqueue call for everything that has a destination. Raw personal data lives only in the
 * values passed through here; what leaves is digests, sealed fields (the producer seals) and codes.
 */

/** One item after the contract and the routing rules. */
export type CheckedItem =
  | { kind: 'invalid'; issues: ContractIssue[] }
  | { kind: 'prepared'; result: PrepareResult };

/** One item after the enqueue. */
export type IngestResult =
  | { kind: 'invalid'; issues: ContractIssue[] }
  /** No provider can take the event (docs/architecture.md#eligibility-and-routing: 422 for a single event). */
  | { kind: 'rejected'; eventId: string; skipped: Skip[]; warnings: Warning[] }
  | { kind: 'accepted'; eventId: string; status: 'queued' | 'duplicate'; jobs: EnqueuedJob[]; skipped: Skip[]; warnings: Warning[] };

export interface IngestDeps {
  config: Config;
  producer: Pick<Producer, 'enqueue'>;
  metrics: Metrics;
  logger: Logger;
}

export function prepareOptions(config: Config, nowMs: number): PrepareOptions {
  return {
    nowMs,
    defaultCallingCode: config.defaultCountryCode,
    defaultCurrency: config.defaultCurrency,
    meta: { enabled: config.meta.enabled },
    google: {
      enabled: config.google.enabled,
      actions: config.google.conversionActions,
      fallbackAction: config.google.fallbackAction,
      api: config.google.api,
    },
  };
}

/** Contract + normalization for one posted value. Never throws for any input. */
export function checkItem(input: unknown, config: Config, nowMs: number, logger: Logger): CheckedItem {
  try {
    const parsed = parseIngestItem(input, { nowMs });
    if (!parsed.ok) return { kind: 'invalid', issues: parsed.issues };
    return { kind: 'prepared', result: prepareEvent(parsed.item, prepareOptions(config, nowMs)) };
  } catch (error) {
    // Core promises not to throw for a parsed item; if it ever does, this item fails alone and
    // the log says where (error name only: the message could quote the value).
    logger.error({ errorName: error instanceof Error ? error.name : typeof error }, 'ingest item could not be processed');
    return { kind: 'invalid', issues: [{ path: '', message: 'could not be processed' }] };
  }
}

/** Items checked between two yields to the event loop in a batch. */
export const CHECK_CHUNK_ITEMS = 50;

const yieldToEventLoop = () => new Promise<void>((resolve) => { setImmediate(resolve); });

/**
 * `checkItem` for every item of a batch, yielding to the event loop every `CHECK_CHUNK_ITEMS`
 * items: a full batch of phone-heavy items takes hundreds of ms of normalization, which would
 * otherwise stall every other request (health checks included) for that long.
 */
export async function checkItems(items: readonly unknown[], config: Config, nowMs: number, logger: Logger): Promise<CheckedItem[]> {
  const checked: CheckedItem[] = [];
  for (const [index, item] of items.entries()) {
    if (index > 0 && index % CHECK_CHUNK_ITEMS === 0) await yieldToEventLoop();
    checked.push(checkItem(item, config, nowMs, logger));
  }
  return checked;
}

/** Match-key coverage labels: the provider's own field names, never values. */
function identifierFields(prepared: PreparedEvent): string[] {
  const present = (fields: object) => Object.entries(fields).filter(([, value]) => value !== undefined).map(([key]) => key);
  const match = present(prepared.match).filter((key) => key !== 'customData' && key !== 'eventSourceUrl');
  return prepared.provider === 'meta' ? [...present(prepared.userData), ...match] : [...present(prepared.digests), ...match];
}

/**
 * Enqueues every prepared item with one producer call and returns one result per input, in order.
 * Throws `QueueUnavailableError` (→ 503) when Redis cannot take the write; then no item is reported
 * as stored, and the metrics count them as `unavailable`.
 */
export async function enqueueChecked(deps: IngestDeps, checked: readonly CheckedItem[], nowMs: number): Promise<IngestResult[]> {
  const toEnqueue = checked.flatMap((item, index) =>
    item.kind === 'prepared' && item.result.prepared.length > 0 ? [{ index, result: item.result }] : [],
  );
  let enqueued: EnqueuedJob[][] = [];
  if (toEnqueue.length > 0) {
    try {
      enqueued = await deps.producer.enqueue(
        toEnqueue.map(({ result }) => ({ eventId: result.eventId, prepared: result.prepared })),
        nowMs,
      );
      deps.metrics.redisUp.set(1);
    } catch (error) {
      deps.metrics.redisUp.set(0);
      deps.metrics.ingestEvents.inc({ outcome: 'unavailable' }, toEnqueue.length);
      countRejectedAndInvalid(deps.metrics, checked);
      throw error;
    }
  }
  const jobsByIndex = new Map(toEnqueue.map(({ index }, position) => [index, enqueued[position] ?? []]));
  return checked.map((item, index): IngestResult => {
    if (item.kind === 'invalid') {
      deps.metrics.ingestEvents.inc({ outcome: 'invalid' });
      return item;
    }
    const { eventId, skipped, warnings, prepared } = item.result;
    const jobs = jobsByIndex.get(index);
    if (jobs === undefined || jobs.length === 0) {
      deps.metrics.ingestEvents.inc({ outcome: 'skipped' });
      return { kind: 'rejected', eventId, skipped, warnings };
    }
    const status = jobs.some((job) => job.status === 'queued') ? 'queued' : 'duplicate';
    deps.metrics.ingestEvents.inc({ outcome: status });
    for (const job of jobs) {
      const event = prepared.find((candidate) => candidate.provider === job.provider);
      if (job.status !== 'queued' || !event) continue;
      for (const field of identifierFields(event)) deps.metrics.identifiers.inc({ provider: job.provider, field });
    }
    return { kind: 'accepted', eventId, status, jobs, skipped, warnings };
  });
}

function countRejectedAndInvalid(metrics: Metrics, checked: readonly CheckedItem[]): void {
  for (const item of checked) {
    if (item.kind === 'invalid') metrics.ingestEvents.inc({ outcome: 'invalid' });
    else if (item.result.prepared.length === 0) metrics.ingestEvents.inc({ outcome: 'skipped' });
  }
}

/** The 202 body of an accepted event (docs/architecture.md#routes). */
export function acceptedBody(result: Extract<IngestResult, { kind: 'accepted' }>) {
  return {
    eventId: result.eventId,
    status: result.status,
    destinations: result.jobs.map(({ provider, jobId }) => ({ provider, jobId })),
    skipped: result.skipped,
    warnings: result.warnings,
  };
}

export function destinationsOf(result: IngestResult): { provider: Provider; jobId: string }[] {
  return result.kind === 'accepted' ? result.jobs.map(({ provider, jobId }) => ({ provider, jobId })) : [];
}
