import type { DataManagerEventInput } from '../data-manager/types.js';

/** Official vectors (Data Manager formatting guide): SHA-256 of normalized values, lowercase hex. */
export const DANA_EMAIL = '07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3';
export const PHONE_18005550100 = 'fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30';
export const ALEX = '4135aa9dc1b842a653dea846903ddb95bfb8c5a10c504a7fa16e10bc31d1fdf0';
export const SMITH = '6627835f988e2c5e50533d491163072d3f4f41f5c8b04630150debb3722ca2dd';

export function dmInput(overrides: Partial<DataManagerEventInput> = {}): DataManagerEventInput {
  return {
    eventId: 'evt-1', eventName: 'purchase', eventTime: Math.floor(Date.now() / 1000) - 3600, transactionId: 'ord-1',
    conversionActionId: '987654321', mode: 'click', eventSource: 'WEB', value: 49.9, currency: 'EUR', consent: { adUserData: 'GRANTED' },
    digests: { emailAddress: [DANA_EMAIL], phoneNumber: [PHONE_18005550100] },
    plain: { gclid: 'EAIaIQobChMI-example' },
    ...overrides,
  };
}
