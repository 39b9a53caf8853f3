import { describe, expect, it } from 'vitest';
import { MappingError, parseMapOptions, resolveColumns } from './mapping.js';

describe('column mapping', () => {
  it('recognizes common CRM and Google-template headers without configuration', () => {
    const header = ['E-mail', 'Phone Number', 'First Name', 'last_name', 'ZIP code', 'Country', 'Google Click ID', 'Conversion Name', 'Conversion Time',
      'Conversion Value', 'Conversion Currency', 'Order ID', 'Ad User Data', 'Notes'];
    const { fields, unused } = resolveColumns(header, new Map());
    expect(fields).toEqual(['customer.email', 'customer.phone', 'customer.firstName', 'customer.lastName', 'customer.zip', 'customer.country',
      'event.gclid', 'event.eventName', 'event.eventTime', 'event.value', 'event.currency', 'event.orderId', 'consent.adUserData', null]);
    expect(unused).toEqual(['Notes']);
  });

  it('feeds numbered customer columns to one field, and refuses two columns for one event field', () => {
    expect(resolveColumns(['email', 'email 2', 'phone2'], new Map()).fields).toEqual(['customer.email', 'customer.email', 'customer.phone']);
    expect(() => resolveColumns(['order id', 'transaction_id'], new Map())).toThrow(/"order id" and "transaction_id" both map to event.orderId/);
    expect(resolveColumns(['value2'], new Map()).fields).toEqual([null]);
  });

  it('takes --map for other names, by short name or path, and - to ignore a column', () => {
    const overrides = parseMapOptions(['Deal Amount=value', 'Closed On=event.eventTime', 'Order ID=-']);
    expect(resolveColumns(['Deal Amount', 'closed on', 'Order ID'], overrides).fields).toEqual(['event.value', 'event.eventTime', null]);
    expect(() => parseMapOptions(['x=emial'])).toThrow(MappingError);
    expect(() => parseMapOptions(['novalue'])).toThrow(/column=field/);
  });
});
