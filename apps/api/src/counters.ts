import type { Metrics } from '@capconnect/telemetry';

/**
 * The api's per-request counters, kept as plain numbers and added to their prom-client counters
 * when the registry is read (docs/decisions.md#ingest-counters-are-added-when-read). An ingest
 * request touches ~25 label sets (outcome, HTTP status, ~20 match-key fields); prom-client builds
 * and looks up a label hash on every `inc`, which costs more than the rest of the bookkeeping. The
 * counts here are bounded by the label values (routes, statuses, outcomes, field names), and every
 * read of the metrics (scrape, `registry.metrics()`, `counter.get()`) sees all of them.
 */
export class PendingCounts {
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(private readonly addTo: (first: string, second: string, count: number) => void) {}

  add(first: string, second: string, count = 1): void {
    let inner = this.counts.get(first);
    if (inner === undefined) {
      inner = new Map();
      this.counts.set(first, inner);
    }
    inner.set(second, (inner.get(second) ?? 0) + count);
  }

  /** Moves every pending count into the prom-client counter. */
  flush(): void {
    for (const [first, inner] of this.counts) {
      for (const [second, count] of inner) {
        if (count === 0) continue;
        // Zeroed rather than deleted: the set of label values is small and stays the same.
        inner.set(second, 0);
        this.addTo(first, second, count);
      }
    }
  }
}

export interface ApiCounters {
  /** `capconnect_ingest_events_total` by outcome (the second key is unused). */
  ingestEvents: PendingCounts;
  /** `capconnect_identifiers_total` by provider and field. */
  identifiers: PendingCounts;
  /** `capconnect_http_requests_total` by route and status. */
  httpRequests: PendingCounts;
}

/** A prom-client metric as far as its read hook goes: `get()` calls `collect` first when there is one. */
interface Collectable {
  collect?: (this: unknown) => unknown;
}

/** Runs `flush` before `metric` is read, keeping any hook it already had. */
function flushBeforeRead(metric: object, flush: () => void): void {
  const target = metric as Collectable;
  const previous = target.collect;
  target.collect = function collect(this: unknown) {
    flush();
    return previous?.call(this);
  };
}

const countersByMetrics = new WeakMap<Metrics, ApiCounters>();

/** The pending counts of one metrics catalogue, created (and hooked to its counters) on first use. */
export function countersOf(metrics: Metrics): ApiCounters {
  let counters = countersByMetrics.get(metrics);
  if (counters === undefined) {
    counters = {
      ingestEvents: new PendingCounts((outcome, _unused, count) => { metrics.ingestEvents.inc({ outcome }, count); }),
      identifiers: new PendingCounts((provider, field, count) => { metrics.identifiers.inc({ provider, field }, count); }),
      httpRequests: new PendingCounts((route, status, count) => { metrics.httpRequests.inc({ route, status }, count); }),
    };
    const { ingestEvents, identifiers, httpRequests } = counters;
    flushBeforeRead(metrics.ingestEvents, () => { ingestEvents.flush(); });
    flushBeforeRead(metrics.identifiers, () => { identifiers.flush(); });
    flushBeforeRead(metrics.httpRequests, () => { httpRequests.flush(); });
    countersByMetrics.set(metrics, counters);
  }
  return counters;
}
