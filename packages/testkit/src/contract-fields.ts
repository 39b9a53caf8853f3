/**
 * The ingest contract's field names by section (`''` is the top level), for fuzz tests that put
 * hostile values into real fields. A list, not derived from the schema, so that a field the schema
 * drops by mistake is still fuzzed.
 */
export const CONTRACT_FIELDS = {
  '': ['customer', 'event', 'consent', 'destinations'],
  customer: ['email', 'phone', 'firstName', 'lastName', 'gender', 'dateOfBirth', 'city', 'state', 'zip', 'country', 'streetAddress', 'externalId'],
  event: ['eventName', 'eventId', 'eventTime', 'value', 'currency', 'orderId', 'actionSource', 'eventSourceUrl', 'clientIpAddress',
    'clientUserAgent', 'fbc', 'fbp', 'gclid', 'gbraid', 'wbraid', 'contents', 'customData'],
  consent: ['adUserData', 'adPersonalization', 'limitedDataUse'],
} as const;
