import { dataManagerEventSource, dataManagerTransactionId, type DataManagerPreparedEvent, type GooglePreparedEvent } from '@capconnect/core';
import { PermanentError } from '../errors.js';
import type { DataManagerEventInput } from './types.js';

/**
 * The builder's input from a prepared (or opened) Google event. Data Manager events map one to one.
 * A Google Ads API event (a job queued before the switch to `GOOGLE_API=data-manager`, v1 jobs
 * included) is carried over when it is a click conversion: same click ids, digests and consent,
 * the event source from its action source and the transaction id by the same rule the api uses
 * (docs/decisions.md#data-manager-transaction-id). An enhancement has no Data Manager form: it fails
 * as `dm_enhancement_not_supported` and waits in the dead-letter queue for the Google Ads API path.
 */
export function dataManagerInput(prepared: DataManagerPreparedEvent | GooglePreparedEvent): DataManagerEventInput {
  const { event } = prepared;
  const base = { eventId: event.eventId, eventName: event.eventName, eventTime: event.eventTime, value: event.value, currency: event.currency };
  if (prepared.api === 'data-manager') {
    const { match, digests } = prepared;
    return {
      ...base,
      transactionId: prepared.transactionId,
      conversionActionId: prepared.conversionActionId,
      mode: prepared.mode,
      eventSource: prepared.eventSource,
      consent: prepared.consent,
      digests: { emailAddress: digests.emailAddress, phoneNumber: digests.phoneNumber, givenName: digests.givenName, familyName: digests.familyName },
      plain: {
        regionCode: match.regionCode, postalCode: match.postalCode, gclid: match.gclid, gbraid: match.gbraid, wbraid: match.wbraid,
        userAgent: match.userAgent, ipAddress: match.ipAddress,
      },
    };
  }
  if (prepared.mode !== 'click') throw new PermanentError({ reason: 'dm_enhancement_not_supported' });
  const { match, digests } = prepared;
  return {
    ...base,
    transactionId: dataManagerTransactionId(event),
    conversionActionId: prepared.conversionActionId,
    mode: 'click',
    eventSource: dataManagerEventSource(event.actionSource),
    consent: prepared.adUserDataConsent === undefined ? undefined : { adUserData: prepared.adUserDataConsent },
    digests: { emailAddress: digests.hashedEmail, phoneNumber: digests.hashedPhoneNumber },
    plain: { gclid: match.gclid, gbraid: match.gbraid, wbraid: match.gbraid === undefined ? match.wbraid : undefined },
  };
}
