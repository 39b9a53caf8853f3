import { describe, expect, it } from 'vitest';
import { formatFailure, parseFailure, type DeliveryFailure } from './outcome.js';

describe('delivery failure reasons', () => {
  it.each<[DeliveryFailure, string, DeliveryFailure]>([
    [{ code: 'expired' }, 'expired||', { code: 'expired' }],
    [{ code: 'meta_100', httpStatus: 400, reference: 'AbC123' }, 'meta_100|400|AbC123', { code: 'meta_100', httpStatus: 400, reference: 'AbC123' }],
    [{ code: 'CLICK_NOT_FOUND', httpStatus: 200, reference: 'req|x' }, 'CLICK_NOT_FOUND|200|req_x', { code: 'CLICK_NOT_FOUND', httpStatus: 200, reference: 'req_x' }],
  ])('formats %o as %s and reads it back', (failure, text, parsed) => {
    expect(formatFailure(failure)).toBe(text);
    expect(parseFailure(text)).toEqual(parsed);
  });

  it('codes reasons that are not ours without repeating their text', () => {
    expect(parseFailure('job stalled more than allowable limit')).toEqual({ code: 'stalled' });
    expect(parseFailure('Error: something with user@example.com')).toEqual({ code: 'other' });
    expect(parseFailure(undefined)).toEqual({ code: 'other' });
  });
});
