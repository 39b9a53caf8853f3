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
import type { EnqueuedJob, EnqueueItem, JobPolicy, Producer } from '@capconnect/queue';
import type { Logger, Metrics } from '@capconnect/telemetry';
import { countersOf, type PendingCounts } from './counters.js';

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

/** The retry and retention policy every job the api writes carries (`RETRY_MAX_ATTEMPTS`, `*_RETENTION_S`). */
export function jobPolicy(config: Config): JobPolicy {
  return { maxAttempts: config.retry.maxAttempts, completedRetentionS: config.completedRetentionS, failedRetentionS: config.failedRetentionS };
}

/** What `prepareEvent` needs from the configuration (default country and currency, enabled providers, Google actions). */
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

/** Contract + normalization for one posted value (`options`: the batch's, when one is being checked). Never throws for any input. */
export function checkItem(input: unknown, config: Config, nowMs: number, logger: Logger, options: PrepareOptions = prepareOptions(config, nowMs)): CheckedItem {
  try {
    const parsed = parseIngestItem(input, { nowMs });
    if (!parsed.ok) return { kind: 'invalid', issues: parsed.issues };
    return { kind: 'prepared', result: prepareEvent(parsed.item, options) };
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
  const options = prepareOptions(config, nowMs);
  for (const [index, item] of items.entries()) {
    if (index > 0 && index % CHECK_CHUNK_ITEMS === 0) await yieldToEventLoop();
    checked.push(checkItem(item, config, nowMs, logger, options));
  }
  return checked;
}

/** Counts the fields of `fields` that hold a value, but `skip`ped ones: field names, never values. */
function countPresent(counts: PendingCounts, provider: Provider, fields: object, skip?: (field: string) => boolean): void {
  for (const field in fields) {
    if ((fields as Record<string, unknown>)[field] !== undefined && skip?.(field) !== true) counts.add(provider, field);
  }
}

const notMatchKey = (field: string) => field === 'customData' || field === 'eventSourceUrl';

/** Counts the match keys of a queued job (match-key coverage). */
function countIdentifiers(counts: PendingCounts, prepared: PreparedEvent): void {
  countPresent(counts, prepared.provider, prepared.provider === 'meta' ? prepared.userData : prepared.digests);
  countPresent(counts, prepared.provider, prepared.match, notMatchKey);
}

/**
 * Enqueues every prepared item with one producer call and returns one result per input, in order.
 * Throws `QueueUnavailableError` (→ 503) when Redis cannot take the write; then no item is reported
 * as stored, and the metrics count them as `unavailable`.
 */
export async function enqueueChecked(deps: IngestDeps, checked: readonly CheckedItem[], nowMs: number): Promise<IngestResult[]> {
  const counters = countersOf(deps.metrics);
  const items: EnqueueItem[] = [];
  /** Position in `items` of each checked item that has a destination, -1 for the others. */
  const positions = checked.map((item) => {
    if (item.kind !== 'prepared' || item.result.prepared.length === 0) return -1;
    return items.push({ eventId: item.result.eventId, prepared: item.result.prepared }) - 1;
  });
  let enqueued: EnqueuedJob[][] = [];
  if (items.length > 0) {
    try {
      enqueued = await deps.producer.enqueue(items, nowMs);
      deps.metrics.redisUp.set(1);
    } catch (error) {
      deps.metrics.redisUp.set(0);
      counters.ingestEvents.add('unavailable', '', items.length);
      for (const item of checked) {
        if (item.kind === 'invalid') counters.ingestEvents.add('invalid', '');
        else if (item.result.prepared.length === 0) counters.ingestEvents.add('skipped', '');
      }
      throw error;
    }
  }
  const results = checked.map((item, index): IngestResult => {
    if (item.kind === 'invalid') {
      counters.ingestEvents.add('invalid', '');
      return item;
    }
    const { eventId, skipped, warnings, prepared } = item.result;
    const jobs = enqueued[positions[index] ?? -1];
    if (jobs === undefined || jobs.length === 0) {
      counters.ingestEvents.add('skipped', '');
      return { kind: 'rejected', eventId, skipped, warnings };
    }
    let status: 'queued' | 'duplicate' = 'duplicate';
    for (const job of jobs) {
      if (job.status !== 'queued') continue;
      status = 'queued';
      const event = prepared.find((candidate) => candidate.provider === job.provider);
      if (event) countIdentifiers(counters.identifiers, event);
    }
    counters.ingestEvents.add(status, '');
    return { kind: 'accepted', eventId, status, jobs, skipped, warnings };
  });
  return results;
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
