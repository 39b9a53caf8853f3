import { describe, expect, it } from 'vitest';
import { int64, parseRequestStatus } from './status.js';

describe('parseRequestStatus', () => {
  it('reads per-destination status, counts as int64 strings, and numeric enums', () => {
    const parsed = parseRequestStatus({ requestStatusPerDestination: [
      { destination: { productDestinationId: '1' }, requestStatus: 'PARTIAL_SUCCESS', eventsIngestionStatus: { recordCount: '2000' },
        errorInfo: { errorCounts: [{ recordCount: '3', reason: 'PROCESSING_ERROR_REASON_DUPLICATE_GCLID' }, { recordCount: '1', reason: 'PROCESSING_ERROR_REASON_DENIED_CONSENT' }] },
        warningInfo: { warningCounts: [{ recordCount: '2', reason: 'PROCESSING_WARNING_REASON_INTERNAL_ERROR' }] } },
      { destination: { productDestinationId: '2' }, requestStatus: 3, eventsIngestionStatus: {} },
    ] });
    expect(parsed).toEqual({ final: true, destinations: [
      { conversionActionId: '1', requestStatus: 'PARTIAL_SUCCESS', recordCount: 2000,
        errorCounts: { PROCESSING_ERROR_REASON_DUPLICATE_GCLID: 3, PROCESSING_ERROR_REASON_DENIED_CONSENT: 1 }, warningCounts: { PROCESSING_WARNING_REASON_INTERNAL_ERROR: 2 } },
      { conversionActionId: '2', requestStatus: 'FAILED', recordCount: 0, errorCounts: {}, warningCounts: {} },
    ] });
  });
  it('is not final while a destination is PROCESSING, or when there is nothing', () => {
    expect(parseRequestStatus({ requestStatusPerDestination: [{ requestStatus: 'PROCESSING' }, { requestStatus: 'SUCCESS' }] }).final).toBe(false);
    expect(parseRequestStatus({}).final).toBe(false);
  });
  it('parses int64 strings and refuses unsafe ones', () => {
    expect(int64('42')).toBe(42);
    expect(int64('99999999999999999999')).toBeUndefined();
    expect(int64('x')).toBeUndefined();
  });
});
