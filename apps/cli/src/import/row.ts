import { ACTION_SOURCES, PROVIDERS, type ActionSource, type Provider } from '@capconnect/core';
import { importEventId } from './event-id.js';
import type { FieldPath } from './mapping.js';
import { parseConversionTime, type TimeOptions } from './time.js';
import { providersTooOld } from './windows.js';

/** One row's values by field, trimmed, blanks dropped. Never logged or written anywhere. */
export type RowValues = Map<FieldPath, string[]>;

export interface RowOptions {
  /** `--event-name`: the conversion name of rows without one. */
  eventName?: string | undefined;
  /** `--action-source`: for rows without an `action_source` column. */
  actionSource: ActionSource;
  /** `--destinations`: only these providers (default: every provider the api routes to). */
  destinations?: readonly Provider[] | undefined;
  time: TimeOptions;
  /** The import's clock, epoch ms: the reference for each provider's window. */
  nowMs: number;
}

/** A problem with one field of a row: the field and a fixed reason, never the value. */
export interface RowIssue {
  field: string;
  reason: string;
}

/** The ingest item as sent to the api (JSON). Holds raw personal data: lives only until its batch is sent. */
export interface ImportItem {
  customer: Record<string, string | string[]>;
  event: Record<string, string | number>;
  consent?: Record<string, string>;
  destinations?: Provider[];
}

export type RowOutcome =
  | { kind: 'item'; item: ImportItem; eventId: string; tooOldFor: Provider[] }
  | { kind: 'invalid'; issues: RowIssue[] }
  /** Older than every requested provider's window: counted, not sent. */
  | { kind: 'too_old'; tooOldFor: Provider[] };

const CONSENT_WORDS: Readonly<Record<string, 'granted' | 'denied'>> = {
  granted: 'granted', grant: 'granted', yes: 'granted', y: 'granted', true: 'granted', '1': 'granted', opt_in: 'granted', optin: 'granted',
  denied: 'denied', deny: 'denied', no: 'denied', n: 'denied', false: 'denied', '0': 'denied', opt_out: 'denied', optout: 'denied',
};

/** `4980`, `4980.50`, `1,234,567.89`; anything else (other separators, symbols, signs) is refused, not guessed. */
export function parseAmount(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) return Number(text.replaceAll(',', ''));
  return undefined;
}

const CLICK_AND_COOKIE_FIELDS = ['event.gclid', 'event.gbraid', 'event.wbraid', 'event.fbc', 'event.fbp'] as const;
const PASSTHROUGH_EVENT_FIELDS = [
  'event.orderId', 'event.currency', 'event.eventSourceUrl', 'event.clientIpAddress', 'event.clientUserAgent', ...CLICK_AND_COOKIE_FIELDS,
] as const;

/**
 * One row → the ingest item the api will validate, with its deterministic event id, or the issues
 * that make it unusable. Only what the api cannot say by row is checked here (a missing or
 * unreadable time, value or consent, a missing conversion name); the contract itself stays the
 * api's, so an import is validated exactly like a webhook.
 */
export function buildRow(values: RowValues, options: RowOptions): RowOutcome {
  const issues: RowIssue[] = [];
  const first = (field: FieldPath) => values.get(field)?.[0];

  const eventName = first('event.eventName') ?? options.eventName;
  if (eventName === undefined) issues.push({ field: 'event.eventName', reason: 'missing (add a conversion name column or --event-name)' });

  const timeText = first('event.eventTime');
  const eventTimeS = timeText === undefined ? undefined : parseConversionTime(timeText, options.time);
  if (timeText === undefined) issues.push({ field: 'event.eventTime', reason: 'missing' });
  else if (eventTimeS === undefined) issues.push({ field: 'event.eventTime', reason: 'not a recognized date-time' });

  const valueText = first('event.value');
  const value = valueText === undefined ? undefined : parseAmount(valueText);
  if (valueText !== undefined && value === undefined) issues.push({ field: 'event.value', reason: 'not a non-negative number' });

  const sourceText = first('event.actionSource')?.toLowerCase();
  const actionSource = sourceText === undefined ? options.actionSource : (ACTION_SOURCES as readonly string[]).includes(sourceText) ? (sourceText as ActionSource) : undefined;
  if (actionSource === undefined) issues.push({ field: 'event.actionSource', reason: `not one of ${ACTION_SOURCES.join(', ')}` });

  const consent: Record<string, string> = {};
  for (const field of ['adUserData', 'adPersonalization'] as const) {
    const text = first(`consent.${field}`);
    if (text === undefined) continue;
    const status = CONSENT_WORDS[text.toLowerCase()];
    if (status === undefined) issues.push({ field: `consent.${field}`, reason: 'not granted/denied (or yes/no, true/false, 1/0)' });
    else consent[field] = status;
  }

  if (issues.length > 0 || eventName === undefined || eventTimeS === undefined || actionSource === undefined) return { kind: 'invalid', issues };

  const requested = options.destinations ?? PROVIDERS;
  const tooOldFor = providersTooOld(eventTimeS, actionSource, options.nowMs, requested);
  if (tooOldFor.length === requested.length) return { kind: 'too_old', tooOldFor };

  const customer: Record<string, string | string[]> = {};
  const identifiers: [string, string[]][] = [];
  for (const [field, list] of values) {
    if (!field.startsWith('customer.')) continue;
    customer[field.slice('customer.'.length)] = list.length === 1 ? (list[0] ?? '') : list;
    identifiers.push([field, list]);
  }
  const event: Record<string, string | number> = { eventName, eventTime: eventTimeS, actionSource };
  if (value !== undefined) event['value'] = value;
  for (const field of PASSTHROUGH_EVENT_FIELDS) {
    const text = first(field);
    if (text !== undefined) event[field.slice('event.'.length)] = text;
  }
  for (const field of CLICK_AND_COOKIE_FIELDS) {
    const list = values.get(field);
    if (list !== undefined) identifiers.push([field, list]);
  }
  const orderId = first('event.orderId');
  const eventId = first('event.eventId') ?? importEventId({ eventName, eventTimeS, value, currency: first('event.currency'), identifiers }, orderId);
  event['eventId'] = eventId;

  const item: ImportItem = { customer, event };
  if (Object.keys(consent).length > 0) item.consent = consent;
  if (tooOldFor.length > 0 || options.destinations !== undefined) item.destinations = requested.filter((provider) => !tooOldFor.includes(provider));
  return { kind: 'item', item, eventId, tooOldFor };
}
