import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_DEFAULTS } from './options.js';
import { startSandbox, type Sandbox } from './server.js';
import { ACTION, adjustmentRow, clickRow, googleDateTime, googleHeaders, postGoogle, sha256 } from './test/fixtures.js';
import type { GoogleApiErrorBody, GoogleAdsFailure, UploadClickConversionsResponse, UploadConversionAdjustmentsResponse } from './types.js';

const D = SANDBOX_DEFAULTS;
const click = (conversions: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ conversions, partialFailure: true, ...extra });
const firstFailure = (body: UploadClickConversionsResponse): GoogleAdsFailure => body.partialFailureError!.details[0]!;
const requestFailure = (body: GoogleApiErrorBody): GoogleAdsFailure => body.error.details[0] as GoogleAdsFailure;

describe('the Google Ads conversion upload fake', () => {
  let sandbox: Sandbox;
  beforeAll(async () => { sandbox = await startSandbox({ port: 0, google: { loginCustomerId: '5555555555' } }); });
  afterAll(async () => { await sandbox.close(); });
  beforeEach(() => { sandbox.control.reset(); });
  const headers = (overrides: Record<string, string | undefined> = {}): Record<string, string> => googleHeaders({ 'login-customer-id': '5555555555', ...overrides });

  it('records a valid click conversion and echoes it in results, with a request-id header', async () => {
    const row = clickRow();
    const res = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', click([row]), headers());
    expect(res.status).toBe(200);
    expect(res.headers.get('request-id')).toMatch(/^[\w-]{22}$/);
    expect(res.body.partialFailureError).toBeUndefined();
    expect(res.body.results).toEqual([{ gclid: row.gclid, conversionAction: ACTION, conversionDateTime: row.conversionDateTime, userIdentifiers: row.userIdentifiers }]);
    expect(res.body.jobId).toMatch(/^\d+$/);
    const [recorded] = sandbox.control.googleRows({ kind: 'click' });
    expect(recorded?.row).toEqual(row);
    expect(recorded?.customerId).toBe(D.google.customerId);
  });

  it('also accepts the colon percent-encoded as %3A', async () => {
    const url = `${sandbox.googleAdsBaseUrl}/v24/customers/${D.google.customerId}%3AuploadClickConversions`;
    const res = await fetch(url, { method: 'POST', headers: headers(), body: JSON.stringify(click([clickRow()])) });
    expect(res.status).toBe(200);
  });

  it('reports row errors as partialFailureError in REST JSON, index 0 omitted, results[i] = {} for failed rows', async () => {
    const rows = [clickRow({ gclid: 'bad gclid!', orderId: 'a' }), clickRow({ orderId: 'b' }), clickRow({ orderId: 'c', conversionDateTime: '2026-01-01T10:00:00Z' })];
    const res = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', click(rows), headers());
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(3);
    expect(res.body.results?.[0]).toEqual({});
    expect(res.body.results?.[1]).toHaveProperty('gclid');
    expect(res.body.results?.[2]).toEqual({});
    const error = res.body.partialFailureError!;
    expect(error.code).toBe(3);
    expect(error.message).toContain('at conversions[0].gclid');
    const failure = firstFailure(res.body);
    expect(failure['@type']).toBe('type.googleapis.com/google.ads.googleads.v24.errors.GoogleAdsFailure');
    expect(failure.requestId).toBe(res.headers.get('request-id'));
    expect(failure.errors).toEqual([
      { errorCode: { conversionUploadError: 'UNPARSEABLE_GCLID' }, message: expect.any(String) as unknown, location: { fieldPathElements: [{ fieldName: 'conversions' }, { fieldName: 'gclid' }] } },
      { errorCode: { dateError: 'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET' }, message: expect.any(String) as unknown, location: { fieldPathElements: [{ fieldName: 'conversions', index: 2 }, { fieldName: 'conversion_date_time' }] } },
    ]);
    expect(sandbox.control.stats('google')).toMatchObject({ eventsReceived: 3, accepted: 1, rejected: 2, deduplicated: 0 });
  });

  const rowCases: [string, Record<string, unknown>, Record<string, string>][] = [
    ['a missing conversionAction', { conversionAction: undefined }, { fieldError: 'REQUIRED' }],
    ['a malformed resource name', { conversionAction: 'conversionActions/987654321' }, { requestError: 'RESOURCE_NAME_MALFORMED' }],
    ['an unknown conversion action', { conversionAction: `customers/${D.google.customerId}/conversionActions/1` }, { conversionUploadError: 'NO_CONVERSION_ACTION_FOUND' }],
    ['a missing conversionDateTime', { conversionDateTime: undefined }, { fieldError: 'REQUIRED' }],
    ['a date-time without offset', { conversionDateTime: '2026-03-20 14:30:00' }, { dateError: 'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET' }],
    ['an offset without colon', { conversionDateTime: '2026-03-20 14:30:00+0900' }, { dateError: 'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET' }],
    ['an impossible date', { conversionDateTime: '2026-02-30 14:30:00+09:00' }, { dateError: 'INVALID_FIELD_VALUES_IN_DATE_TIME' }],
    ['a conversion 91 days old', { conversionDateTime: googleDateTime(Date.now() - 91 * 86_400_000) }, { conversionUploadError: 'EXPIRED_EVENT' }],
    ['gbraid and wbraid both set', { gclid: undefined, gbraid: 'gb1', wbraid: 'wb1' }, { conversionUploadError: 'GBRAID_WBRAID_BOTH_SET' }],
    ['no click id and no identifiers', { gclid: undefined, userIdentifiers: [] }, { fieldError: 'REQUIRED' }],
    ['six identifiers', { userIdentifiers: Array.from({ length: 6 }, (_, i) => ({ hashedEmail: sha256(`u${i}@x.co`) })) }, { collectionSizeError: 'TOO_MANY' }],
    ['two fields in one identifier', { userIdentifiers: [{ hashedEmail: sha256('a@x.co'), hashedPhoneNumber: sha256('+811') }] }, { conversionUploadError: 'INVALID_USER_IDENTIFIER' }],
    ['a plaintext email', { userIdentifiers: [{ hashedEmail: 'john@example.com' }] }, { conversionUploadError: 'INVALID_USER_IDENTIFIER' }],
    ['an uppercase digest', { userIdentifiers: [{ hashedPhoneNumber: sha256('+819012345678').toUpperCase() }] }, { conversionUploadError: 'INVALID_USER_IDENTIFIER' }],
    ['address info on a click conversion', { userIdentifiers: [{ addressInfo: { hashedFirstName: sha256('john'), hashedLastName: sha256('smith'), countryCode: 'JP', postalCode: '1000001' } }] }, { conversionUploadError: 'UNSUPPORTED_USER_IDENTIFIER' }],
    ['identifiers with consent DENIED', { consent: { adUserData: 'DENIED' } }, { fieldError: 'VALUE_MUST_BE_UNSET' }],
    ['adPersonalization consent', { consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' } }, { fieldError: 'VALUE_MUST_BE_UNSET' }],
    ['an email as order id', { orderId: 'john@example.com' }, { conversionUploadError: 'ORDER_ID_CONTAINS_PII' }],
    ['a lowercase currency', { currencyCode: 'jpy' }, { currencyCodeError: 'UNSUPPORTED' }],
  ];
  it.each(rowCases)('rejects a click row with %s (the other row goes through)', async (_name, overrides, errorCode) => {
    const res = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', click([clickRow({ orderId: 'ok' }), clickRow({ orderId: 'bad', ...overrides })]), headers());
    expect(res.status).toBe(200);
    const [error] = firstFailure(res.body).errors;
    expect(error?.errorCode).toEqual(errorCode);
    expect(error?.location?.fieldPathElements[0]).toEqual({ fieldName: 'conversions', index: 1 });
    expect(res.body.results?.[1]).toEqual({});
    expect(sandbox.control.googleRows().map((r) => r.row.orderId)).toEqual(['ok']);
  });

  it('accepts DENIED consent without identifiers, and gbraid alone', async () => {
    const res = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions',
      click([clickRow({ orderId: 'd', consent: { adUserData: 'DENIED' }, userIdentifiers: undefined }), clickRow({ orderId: 'g', gclid: undefined, gbraid: 'GBraid_1' })]), headers());
    expect(res.body.partialFailureError).toBeUndefined();
  });

  const shapeCases: [string, Record<string, unknown>, string][] = [
    ['userAgent on a ClickConversion', click([clickRow({ userAgent: 'Mozilla/5.0' })]), 'Unknown name "userAgent"'],
    ['debugEnabled (removed in v21)', click([clickRow()], { debugEnabled: true }), 'Unknown name "debugEnabled"'],
    ['a consent enum typo', click([clickRow({ consent: { adUserData: 'YES' } })]), "conversions[0].consent.ad_user_data"],
    ['a snake_case field', click([clickRow({ conversion_action: ACTION })]), 'Unknown name "conversion_action"'],
    ['a string list where an object belongs', click(['x']), "conversions[0]"],
  ];
  it.each(shapeCases)('refuses the whole request (400 INVALID_ARGUMENT) for %s', async (_name, body, text) => {
    const res = await postGoogle<GoogleApiErrorBody>(sandbox, 'uploadClickConversions', body, headers());
    expect(res.status).toBe(400);
    expect(res.body.error.status).toBe('INVALID_ARGUMENT');
    expect(JSON.stringify(res.body.error.details)).toContain(text.replace(/"/g, '\\"'));
  });

  it('requires partialFailure: true and at most 2000 rows', async () => {
    const noPartial = await postGoogle<GoogleApiErrorBody>(sandbox, 'uploadClickConversions', { conversions: [clickRow()] }, headers());
    expect(noPartial.status).toBe(400);
    expect(requestFailure(noPartial.body).errors[0]?.errorCode).toEqual({ partialFailureError: 'PARTIAL_FAILURE_MODE_REQUIRED' });
    const rows = Array.from({ length: 2001 }, (_, i) => clickRow({ orderId: `o${i}` }));
    const tooMany = await postGoogle<GoogleApiErrorBody>(sandbox, 'uploadClickConversions', click(rows), headers());
    expect(requestFailure(tooMany.body).errors[0]?.errorCode).toEqual({ conversionUploadError: 'TOO_MANY_CONVERSIONS_IN_REQUEST' });
    const adjustments = await postGoogle<GoogleApiErrorBody>(sandbox, 'uploadConversionAdjustments',
      { conversionAdjustments: rows.map((_, i) => adjustmentRow({ orderId: `o${i}` })), partialFailure: true }, headers());
    expect(requestFailure(adjustments.body).errors[0]?.errorCode).toEqual({ conversionAdjustmentUploadError: 'TOO_MANY_ADJUSTMENTS_IN_REQUEST' });
    const ok = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', click(rows.slice(0, 2000)), headers());
    expect(ok.body.results).toHaveLength(2000);
    expect(ok.body.partialFailureError).toBeUndefined();
  });

  it('checks the bearer token, developer-token, login-customer-id and customer id', async () => {
    const cases: [Record<string, string | undefined>, string, number, Record<string, string>][] = [
      [{ authorization: undefined }, D.google.customerId, 401, { authenticationError: 'OAUTH_TOKEN_HEADER_INVALID' }],
      [{ authorization: 'Bearer ya29.unknown' }, D.google.customerId, 401, { authenticationError: 'OAUTH_TOKEN_INVALID' }],
      [{ 'developer-token': 'wrong' }, D.google.customerId, 401, { authenticationError: 'DEVELOPER_TOKEN_INVALID' }],
      [{ 'login-customer-id': undefined }, D.google.customerId, 403, { authorizationError: 'USER_PERMISSION_DENIED' }],
      [{ 'login-customer-id': '555-555-5555' }, D.google.customerId, 400, { headerError: 'INVALID_LOGIN_CUSTOMER_ID' }],
      [{}, '123-456-7890', 400, { requestError: 'INVALID_CUSTOMER_ID' }],
      [{}, '9999999999', 403, { authorizationError: 'USER_PERMISSION_DENIED' }],
    ];
    for (const [overrides, customerId, status, errorCode] of cases) {
      const res = await postGoogle<GoogleApiErrorBody>(sandbox, 'uploadClickConversions', click([clickRow()]), headers(overrides), customerId);
      expect(res.status, JSON.stringify(overrides)).toBe(status);
      expect(res.headers.get('request-id')).toBeTruthy();
      expect(requestFailure(res.body).errors[0]?.errorCode).toEqual(errorCode);
      expect(requestFailure(res.body)['@type']).toMatch(/googleads\.v24\.errors\.GoogleAdsFailure$/);
    }
    expect(sandbox.control.googleRows()).toHaveLength(0);
    expect(sandbox.control.stats('google').refused).toBe(cases.length);
  });

  it('accepts a request without developer-token (retired by Google) and answers not-allowlisted when told to', async () => {
    const ok = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', click([clickRow()]), headers({ 'developer-token': undefined }));
    expect(ok.status).toBe(200);
    sandbox.control.addFault({ provider: 'google', kind: 'not-allowlisted' });
    const refused = await postGoogle<GoogleApiErrorBody>(sandbox, 'uploadClickConversions', click([clickRow({ orderId: 'other' })]), headers());
    expect(refused.status).toBe(403);
    expect(requestFailure(refused.body).errors[0]?.errorCode).toEqual({ notAllowlistedError: 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE' });
  });

  it('validateOnly returns errors only, no results, and records nothing', async () => {
    const ok = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', click([clickRow()], { validateOnly: true }), headers());
    expect(ok.body).toEqual({});
    const bad = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions',
      click([clickRow({ orderId: 'x' }), clickRow({ orderId: 'y', gclid: 'no way' })], { validateOnly: true }), headers());
    expect(bad.body.results).toBeUndefined();
    expect(firstFailure(bad.body).errors[0]?.location?.fieldPathElements[0]).toEqual({ fieldName: 'conversions', index: 1 });
    expect(sandbox.control.googleRows()).toHaveLength(0);
    const real = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', click([clickRow()]), headers());
    expect(real.body.partialFailureError).toBeUndefined();
  });

  it('deduplicates click conversions by order id and click, within and across requests', async () => {
    const same = clickRow({ orderId: 'o1' });
    const first = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions',
      click([same, clickRow({ orderId: 'o1', gclid: 'other' }), clickRow({ orderId: 'o2', gclid: 'g2' }), clickRow({ orderId: undefined, gclid: 'g2' })]), headers());
    const codes = (body: UploadClickConversionsResponse): unknown[] => firstFailure(body).errors.map((e) => [e.location?.fieldPathElements[0]?.index ?? 0, Object.values(e.errorCode)[0]]);
    expect(codes(first.body)).toEqual([[1, 'DUPLICATE_ORDER_ID'], [3, 'DUPLICATE_CLICK_CONVERSION_IN_REQUEST']]);
    const again = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions',
      click([same, clickRow({ orderId: 'o2', gclid: 'g2', conversionDateTime: googleDateTime(Date.now() - 7_200_000) }), clickRow({ orderId: undefined, gclid: 'g2', conversionDateTime: same.conversionDateTime })]), headers());
    expect(codes(again.body)).toEqual([[0, 'CLICK_CONVERSION_ALREADY_EXISTS'], [1, 'ORDER_ID_ALREADY_IN_USE'], [2, 'CLICK_CONVERSION_ALREADY_EXISTS']]);
    expect(sandbox.control.googleRows().map((r) => r.row.orderId)).toEqual(['o1', 'o2']);
    expect(sandbox.control.stats('google')).toMatchObject({ eventsReceived: 7, accepted: 2, deduplicated: 5, rejected: 0 });
  });

  it('accepts ENHANCEMENT adjustments with address info and refuses a second enhancement of the same order', async () => {
    const body = { conversionAdjustments: [adjustmentRow(), adjustmentRow()], partialFailure: true };
    const res = await postGoogle<UploadConversionAdjustmentsResponse>(sandbox, 'uploadConversionAdjustments', body, headers());
    expect(res.body.results?.[0]).toMatchObject({ orderId: 'order-1', conversionAction: ACTION, adjustmentType: 'ENHANCEMENT' });
    const failure = res.body.partialFailureError!.details[0]!;
    expect(failure.errors[0]).toMatchObject({
      errorCode: { conversionAdjustmentUploadError: 'DUPLICATE_ENHANCEMENT_IN_REQUEST' },
      location: { fieldPathElements: [{ fieldName: 'conversion_adjustments', index: 1 }, { fieldName: 'order_id' }] },
    });
    const again = await postGoogle<UploadConversionAdjustmentsResponse>(sandbox, 'uploadConversionAdjustments', { conversionAdjustments: [adjustmentRow()], partialFailure: true }, headers());
    expect(again.body.partialFailureError?.details[0]?.errors[0]).toMatchObject({
      errorCode: { conversionAdjustmentUploadError: 'CONVERSION_ALREADY_ENHANCED' }, location: { fieldPathElements: [{ fieldName: 'conversion_adjustments' }, { fieldName: 'order_id' }] },
    });
    expect(sandbox.control.googleRows({ kind: 'adjustment' })).toHaveLength(1);
  });

  const adjustmentCases: [string, Record<string, unknown>, Record<string, string>][] = [
    ['no order id', { orderId: undefined }, { conversionAdjustmentUploadError: 'MISSING_ORDER_ID_FOR_WEBPAGE' }],
    ['a RESTATEMENT', { adjustmentType: 'RESTATEMENT' }, { fieldError: 'INVALID_VALUE' }],
    ['an unknown action', { conversionAction: `customers/${D.google.customerId}/conversionActions/42` }, { conversionAdjustmentUploadError: 'NO_CONVERSION_ACTION_FOUND' }],
    ['a plaintext first name', { userIdentifiers: [{ addressInfo: { hashedFirstName: 'John', hashedLastName: sha256('smith'), countryCode: 'JP', postalCode: '1000001' } }] }, { conversionAdjustmentUploadError: 'INVALID_USER_IDENTIFIER' }],
    ['a hashed city', { userIdentifiers: [{ addressInfo: { hashedFirstName: sha256('john'), hashedLastName: sha256('smith'), countryCode: 'JP', postalCode: '1000001', city: sha256('tokyo') } }] }, { conversionAdjustmentUploadError: 'INVALID_USER_IDENTIFIER' }],
    ['address info without postal code', { userIdentifiers: [{ addressInfo: { hashedFirstName: sha256('john'), hashedLastName: sha256('smith'), countryCode: 'JP' } }] }, { conversionAdjustmentUploadError: 'INVALID_USER_IDENTIFIER' }],
    ['a mobile id', { userIdentifiers: [{ mobileId: 'abc' }] }, { conversionAdjustmentUploadError: 'UNSUPPORTED_USER_IDENTIFIER' }],
    ['a bad adjustmentDateTime', { adjustmentDateTime: '2026-03-20T14:30:00Z' }, { dateError: 'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET' }],
    ['a hashed user agent', { userAgent: sha256('Mozilla') }, { fieldError: 'INVALID_VALUE' }],
  ];
  it.each(adjustmentCases)('rejects an adjustment with %s', async (_name, overrides, errorCode) => {
    const res = await postGoogle<UploadConversionAdjustmentsResponse>(sandbox, 'uploadConversionAdjustments',
      { conversionAdjustments: [adjustmentRow({ orderId: 'ok' }), adjustmentRow({ orderId: 'bad', ...overrides })], partialFailure: true }, headers());
    const error = res.body.partialFailureError?.details[0]?.errors[0];
    expect(error?.errorCode).toEqual(errorCode);
    expect(error?.location?.fieldPathElements[0]).toEqual({ fieldName: 'conversion_adjustments', index: 1 });
  });

  it('refuses consent on an adjustment (the ConversionAdjustment proto has no consent field)', async () => {
    const res = await postGoogle<GoogleApiErrorBody>(sandbox, 'uploadConversionAdjustments',
      { conversionAdjustments: [adjustmentRow({ consent: { adUserData: 'GRANTED' } })], partialFailure: true }, headers());
    expect(res.status).toBe(400);
  });
});

describe('in-request duplicates', () => {
  it('only count rows that pass: an invalid first copy does not sink a valid second one', async () => {
    const sandbox = await startSandbox();
    try {
      const rows = [clickRow({ orderId: 'twin', gclid: 'bad gclid' }), clickRow({ orderId: 'twin' })];
      const res = await postGoogle<UploadClickConversionsResponse>(sandbox, 'uploadClickConversions', { conversions: rows, partialFailure: true });
      expect(res.body.partialFailureError?.details[0]?.errors.map((e) => e.errorCode)).toEqual([{ conversionUploadError: 'UNPARSEABLE_GCLID' }]);
      expect(sandbox.control.googleRows().map((r) => r.row.orderId)).toEqual(['twin']);
    } finally {
      await sandbox.close();
    }
  });
});
