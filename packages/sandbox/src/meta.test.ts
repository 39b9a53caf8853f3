import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { META_SUBCODES } from './meta-rules.js';
import { SANDBOX_DEFAULTS } from './options.js';
import { startSandbox, type Sandbox } from './server.js';
import { META_PATH, metaEvent, postMeta, sha256 } from './test/fixtures.js';
import type { MetaErrorBody, MetaSuccessBody } from './types.js';

const D = SANDBOX_DEFAULTS;
const nowS = (): number => Math.floor(Date.now() / 1000);
const DAY = 86_400;

describe('the Meta Conversions API fake', () => {
  let sandbox: Sandbox;
  beforeAll(async () => { sandbox = await startSandbox({ port: 0 }); });
  afterAll(async () => { await sandbox.close(); });
  beforeEach(() => { sandbox.control.reset(); });

  it('accepts the official vector em = sha256("john_smith@gmail.com") and records the event as sent', async () => {
    const em = sha256('john_smith@gmail.com');
    expect(em).toBe('62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f');
    const res = await postMeta<MetaSuccessBody>(sandbox, { data: [metaEvent({}, { em: [em] })], test_event_code: 'TEST123' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ events_received: 1, messages: [], fbtrace_id: expect.stringMatching(/^[\w-]{11}$/) as unknown });
    const [recorded] = sandbox.control.metaEvents(D.meta.pixelId);
    expect(recorded?.event.user_data.em).toEqual([em]);
    expect(recorded?.event.user_data.client_ip_address).toBe('203.0.113.7');
    expect(recorded?.testEventCode).toBe('TEST123');
  });

  it('rejects a plaintext email the way Meta refuses unhashed contact information', async () => {
    const res = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent(), metaEvent({ event_id: 'b' }, { em: 'john_smith@gmail.com' })] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      type: 'OAuthException', code: 100, error_subcode: META_SUBCODES.invalidUserData, is_transient: false,
      error_user_msg: expect.stringContaining("$['data'][1]['user_data']['em']") as unknown,
    });
    expect(res.body.error.fbtrace_id).toMatch(/^[\w-]{11}$/);
    expect(sandbox.control.metaEvents()).toHaveLength(0);
    expect(sandbox.control.stats('meta')).toMatchObject({ eventsReceived: 2, accepted: 0, rejected: 2 });
  });

  // Each row breaks exactly one rule on data[2] of a three-event batch; the whole batch must be refused.
  const t = nowS();
  const cases: [string, ReturnType<typeof metaEvent>, number, string][] = [
    ['event_name missing', metaEvent({ event_name: undefined }), META_SUBCODES.missingParameter, "$['data'][2]['event_name'] is required"],
    ['event_time missing', metaEvent({ event_time: undefined }), META_SUBCODES.missingParameter, "$['data'][2]['event_time'] is required"],
    ['event_time in milliseconds (far future)', metaEvent({ event_time: Date.now() }), META_SUBCODES.timestampInFuture, "$['data'][2]"],
    ['event_time as a string', metaEvent({ event_time: String(t) }), META_SUBCODES.invalidParameter, "['event_time']"],
    ['event_time 8 days old', metaEvent({ event_time: t - 8 * DAY }), META_SUBCODES.timestampTooOld, '7 days'],
    ['physical_store event 63 days old', metaEvent({ event_time: t - 63 * DAY, action_source: 'physical_store' }), META_SUBCODES.timestampTooOld, '62 days'],
    ['event_time 20 minutes ahead', metaEvent({ event_time: t + 1200 }), META_SUBCODES.timestampInFuture, "$['data'][2]"],
    ['action_source missing', metaEvent({ action_source: undefined }), META_SUBCODES.missingParameter, "['action_source'] is required"],
    ['action_source outside the enum', metaEvent({ action_source: 'web' }), META_SUBCODES.invalidParameter, "['action_source']"],
    ['website event without event_source_url', metaEvent({ event_source_url: undefined }), META_SUBCODES.missingParameter, "['event_source_url'] is required"],
    ['website event without client_user_agent', metaEvent({}, { client_user_agent: undefined }), META_SUBCODES.missingParameter, "['user_data']['client_user_agent'] is required"],
    ['user_data missing', metaEvent({ user_data: undefined }), META_SUBCODES.missingParameter, "['user_data'] is required"],
    ['plaintext phone', metaEvent({}, { ph: ['+819012345678'] }), META_SUBCODES.invalidUserData, "['user_data']['ph']"],
    ['uppercase digest', metaEvent({}, { em: [sha256('a@b.co').toUpperCase()] }), META_SUBCODES.invalidUserData, "['user_data']['em']"],
    ['unhashed external_id', metaEvent({}, { external_id: 'user_42' }), META_SUBCODES.invalidUserData, "['user_data']['external_id']"],
    ['hashed client_ip_address', metaEvent({}, { client_ip_address: sha256('203.0.113.7') }), META_SUBCODES.invalidUserData, "['client_ip_address']"],
    ['invalid client_ip_address', metaEvent({}, { client_ip_address: '203.0.113.700' }), META_SUBCODES.invalidUserData, "['client_ip_address']"],
    ['hashed client_user_agent', metaEvent({}, { client_user_agent: sha256('Mozilla') }), META_SUBCODES.invalidUserData, "['client_user_agent']"],
    ['hashed fbp', metaEvent({}, { fbp: sha256('fb.1.1700000000000.123') }), META_SUBCODES.invalidUserData, "['fbp']"],
    ['fbc with creation time in seconds', metaEvent({}, { fbc: 'fb.1.1700000000.IwAR2F4' }), META_SUBCODES.invalidUserData, "['fbc']"],
    ['unknown user_data key', metaEvent({}, { email: sha256('x') }), META_SUBCODES.invalidUserData, "['user_data']['email']"],
    ['only ct+country+st+zp+ge+ua', metaEvent({}, { em: undefined, client_ip_address: undefined, ct: [sha256('tokyo')], country: [sha256('jp')], st: [sha256('tokyo')], zp: [sha256('1000001')], ge: [sha256('m')] }),
      META_SUBCODES.insufficientCustomerInfo, "$['data'][2]"],
    ['only db+ua', metaEvent({}, { em: undefined, client_ip_address: undefined, db: [sha256('19900102')] }), META_SUBCODES.insufficientCustomerInfo, "$['data'][2]"],
    ['only fn+ge', metaEvent({ action_source: 'system_generated', event_source_url: undefined, user_data: { fn: [sha256('john')], ge: [sha256('m')] } }), META_SUBCODES.insufficientCustomerInfo, "$['data'][2]"],
    ['only ln+ge', metaEvent({ action_source: 'email', event_source_url: undefined, user_data: { ln: [sha256('smith')], ge: [sha256('m')] } }), META_SUBCODES.insufficientCustomerInfo, "$['data'][2]"],
    ['empty user_data', metaEvent({ action_source: 'other', event_source_url: undefined, user_data: {} }), META_SUBCODES.insufficientCustomerInfo, "$['data'][2]"],
    ['data_processing_options not LDU', metaEvent({ data_processing_options: ['GDPR'] }), META_SUBCODES.invalidDataProcessingOptions, "['data_processing_options']"],
    ['LDU without country', metaEvent({ data_processing_options: ['LDU'], data_processing_options_state: 0 }), META_SUBCODES.invalidDataProcessingOptions, "['data_processing_options_country']"],
    ['LDU without state', metaEvent({ data_processing_options: ['LDU'], data_processing_options_country: 0 }), META_SUBCODES.invalidDataProcessingOptions, "['data_processing_options_state']"],
    ['LDU country as a string', metaEvent({ data_processing_options: ['LDU'], data_processing_options_country: '1', data_processing_options_state: 1000 }), META_SUBCODES.invalidDataProcessingOptions, "['data_processing_options_country']"],
    ['camelCase field', metaEvent({ eventSourceUrl: 'https://x.example' }), META_SUBCODES.invalidParameter, "['eventSourceUrl']"],
    ['custom_data.value as a string', metaEvent({ custom_data: { value: '4980', currency: 'JPY' } }), META_SUBCODES.invalidParameter, "['custom_data']['value']"],
  ];
  it.each(cases)('rejects the whole batch when data[2] has %s', async (_name, broken, subcode, where) => {
    const res = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent({ event_id: 'a' }), metaEvent({ event_id: 'b' }), broken] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(100);
    expect(res.body.error.error_subcode).toBe(subcode);
    expect(res.body.error.error_user_msg).toContain(where);
    expect(sandbox.control.metaEvents()).toHaveLength(0);
  });

  it('accepts what the rules allow: arrays, LDU with ints, parameter-builder appendix, IPv6, physical_store at 60 days', async () => {
    const data = [
      metaEvent({ event_id: 'a', data_processing_options: ['LDU'], data_processing_options_country: 1, data_processing_options_state: 1000 }, { em: [sha256('a@x.co'), sha256('b@x.co')] }),
      metaEvent({ event_id: 'b', data_processing_options: [] }, { ph: `${sha256('819012345678')}.AQQCAQIB`, client_ip_address: '2001:db8::1', fbp: 'fb.1.1596403881668.1116446470', fbc: 'fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890' }),
      metaEvent({ event_id: 'c', action_source: 'physical_store', event_time: nowS() - 60 * DAY, event_source_url: undefined }, { client_user_agent: undefined }),
      metaEvent({ event_id: 'd', action_source: 'system_generated', event_source_url: undefined, user_data: { fn: [sha256('john')], ln: [sha256('smith')], ge: [sha256('m')] } }),
    ];
    const res = await postMeta<MetaSuccessBody>(sandbox, { data });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.events_received).toBe(4);
  });

  it('refuses more than 1000 events, a missing data array and a non-array', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => metaEvent({ event_id: `e${i}` }));
    for (const body of [{ data: many }, {}, { data: { 0: metaEvent() } }]) {
      const res = await postMeta<MetaErrorBody>(sandbox, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(100);
    }
    const ok = await postMeta<MetaSuccessBody>(sandbox, { data: many.slice(0, 1000) });
    expect(ok.body.events_received).toBe(1000);
    expect(sandbox.control.stats('meta').largestBatch).toBe(1001);
  });

  it('deduplicates a repeated event_id + event_name within 48 h, and counts it as received', async () => {
    const first = await postMeta<MetaSuccessBody>(sandbox, { data: [metaEvent({ event_id: 'x' }), metaEvent({ event_id: 'x', event_name: 'Lead' })] });
    expect(first.body.events_received).toBe(2);
    const again = await postMeta<MetaSuccessBody>(sandbox, { data: [metaEvent({ event_id: 'x' }), metaEvent({ event_id: 'x' })] });
    expect(again.body.events_received).toBe(2);
    expect(sandbox.control.metaEvents().map((e) => `${e.event.event_name}:${String(e.event.event_id)}`)).toEqual(['Purchase:x', 'Lead:x']);
    expect(sandbox.control.stats('meta')).toMatchObject({ requests: 2, eventsReceived: 4, accepted: 2, deduplicated: 2, rejected: 0 });

    sandbox.control.advanceClock(48 * 3600 * 1000 + 1000);
    await postMeta(sandbox, { data: [metaEvent({ event_id: 'x', event_time: Math.floor(sandbox.control.nowMs() / 1000) - 60 })] });
    expect(sandbox.control.metaEvents()).toHaveLength(3);
  });

  it('keeps dedup per pixel', async () => {
    const other = await startSandbox({ meta: { pixels: ['111', '222'] } });
    try {
      for (const pixel of ['111', '222']) await postMeta(other, { data: [metaEvent({ event_id: 'same' })] }, `/v25.0/${pixel}/events`);
      expect(other.control.metaEvents('111')).toHaveLength(1);
      expect(other.control.metaEvents('222')).toHaveLength(1);
      expect(Object.keys(other.control.stats('meta').byDestination).sort()).toEqual(['111', '222']);
    } finally {
      await other.close();
    }
  });

  it('answers a missing token with code 104, a wrong token with 190 and an unknown pixel with 100/33', async () => {
    const missing = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] }, META_PATH, null);
    expect(missing.body.error.code).toBe(104);
    const wrong = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] }, META_PATH, 'EAAwrong');
    expect([wrong.status, wrong.body.error.code, wrong.body.error.type]).toEqual([400, 190, 'OAuthException']);
    const pixel = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] }, '/v25.0/999/events');
    expect([pixel.status, pixel.body.error.code, pixel.body.error.error_subcode]).toEqual([400, 100, 33]);
    expect(sandbox.control.stats('meta')).toMatchObject({ requests: 3, refused: 3, eventsReceived: 0 });
  });

  it('takes access_token from the JSON body and from curl-style form fields', async () => {
    const json = await fetch(`${sandbox.metaBaseUrl}${META_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [metaEvent({ event_id: 'j' })], access_token: D.meta.accessToken }),
    });
    expect(json.status).toBe(200);
    const form = await fetch(`${sandbox.metaBaseUrl}${META_PATH}`, {
      method: 'POST', body: new URLSearchParams({ data: JSON.stringify([metaEvent({ event_id: 'f' })]), access_token: D.meta.accessToken }),
    });
    expect(await form.json()).toMatchObject({ events_received: 1 });
    expect(sandbox.control.metaEvents().map((e) => e.event.event_id)).toEqual(['j', 'f']);
  });
});

describe('recording limits', () => {
  it('keeps at most maxRecordedEvents events but still counts and deduplicates the rest', async () => {
    const sandbox = await startSandbox({ maxRecordedEvents: 2 });
    try {
      const data = ['a', 'b', 'c', 'a'].map((id) => metaEvent({ event_id: id }));
      expect((await postMeta<MetaSuccessBody>(sandbox, { data })).body.events_received).toBe(4);
      expect(sandbox.control.metaEvents()).toHaveLength(2);
      expect(sandbox.control.stats('meta')).toMatchObject({ accepted: 3, deduplicated: 1, unrecorded: 1 });
    } finally {
      await sandbox.close();
    }
  });
});

describe('the Meta fake and API versions', () => {
  it('refuses a version older than minApiVersion with #2635 and takes the minimum itself', async () => {
    const sandbox = await startSandbox({ port: 0, meta: { minApiVersion: 'v26.0' } });
    try {
      const old = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] }, `/v25.0/${D.meta.pixelId}/events`);
      expect(old.status).toBe(400);
      expect(old.body.error).toMatchObject({ code: 2635, type: 'OAuthException' });
      expect(sandbox.control.metaEvents()).toHaveLength(0);
      const minimum = await postMeta(sandbox, { data: [metaEvent()] }, `/v26.0/${D.meta.pixelId}/events`);
      const newer = await postMeta(sandbox, { data: [metaEvent({ event_id: 'other' })] }, `/v27.0/${D.meta.pixelId}/events`);
      expect([minimum.status, newer.status]).toEqual([200, 200]);
    } finally {
      await sandbox.close();
    }
  });

  it('adds X-Ad-Api-Version-Warning to every answer when told to, errors included', async () => {
    const sandbox = await startSandbox({ port: 0, meta: { versionWarning: 'v27.0 will be deprecated soon' } });
    try {
      const ok = await fetch(`${sandbox.metaBaseUrl}${META_PATH}?access_token=${D.meta.accessToken}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [metaEvent()] }),
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ad-api-version-warning')).toBe('v27.0 will be deprecated soon');
      const refused = await fetch(`${sandbox.metaBaseUrl}${META_PATH}?access_token=wrong`, { method: 'POST', body: '{}' });
      expect(refused.headers.get('x-ad-api-version-warning')).toBe('v27.0 will be deprecated soon');
    } finally {
      await sandbox.close();
    }
    const plain = await startSandbox({ port: 0 });
    try {
      const res = await fetch(`${plain.metaBaseUrl}${META_PATH}?access_token=${D.meta.accessToken}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [metaEvent()] }),
      });
      expect(res.headers.get('x-ad-api-version-warning')).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe('the Meta fake and business messaging', () => {
  let sandbox: Sandbox;
  beforeAll(async () => { sandbox = await startSandbox({ port: 0 }); });
  afterAll(async () => { await sandbox.close(); });
  beforeEach(() => { sandbox.control.reset(); });

  const chat = (overrides: Record<string, unknown>, userData: Record<string, unknown>) => {
    const event = metaEvent({ action_source: 'business_messaging', ...overrides });
    delete event.event_source_url;
    event.user_data = userData;
    return event;
  };

  it('accepts each channel with its ids', async () => {
    const events = [
      chat({ event_id: 'wa', messaging_channel: 'whatsapp' }, { ctwa_clid: 'ARAkLk-canary', ph: [sha256('16505551212')] }),
      chat({ event_id: 'ms', messaging_channel: 'messenger' }, { page_id: '1122334455', page_scoped_user_id: '99887766' }),
      chat({ event_id: 'ig', messaging_channel: 'instagram' }, { ig_account_id: '17841400000', ig_sid: '12345' }),
    ];
    const res = await postMeta<MetaSuccessBody>(sandbox, { data: events });
    expect(res.status).toBe(200);
    expect(sandbox.control.metaEvents()).toHaveLength(3);
  });

  it.each([
    ['business_messaging without messaging_channel', chat({}, { ctwa_clid: 'ARAkLk' }), META_SUBCODES.missingParameter, "['messaging_channel']"],
    ['whatsapp without ctwa_clid', chat({ messaging_channel: 'whatsapp' }, { page_id: '1', page_scoped_user_id: '2' }), META_SUBCODES.missingParameter, "['ctwa_clid']"],
    ['messenger without page_scoped_user_id', chat({ messaging_channel: 'messenger' }, { page_id: '1122334455' }), META_SUBCODES.missingParameter, "['page_scoped_user_id']"],
    ['instagram without ig_account_id', chat({ messaging_channel: 'instagram' }, { ig_sid: '12345' }), META_SUBCODES.missingParameter, "['ig_account_id']"],
    ['an unknown channel', chat({ messaging_channel: 'telegram' }, { ctwa_clid: 'ARAkLk' }), META_SUBCODES.invalidParameter, "['messaging_channel']"],
    ['a channel on a website event', metaEvent({ messaging_channel: 'whatsapp' }, { ctwa_clid: 'ARAkLk' }), META_SUBCODES.invalidParameter, "['messaging_channel']"],
    ['a page id that is not numeric', chat({ messaging_channel: 'messenger' }, { page_id: 'my-page', page_scoped_user_id: '2' }), META_SUBCODES.invalidUserData, "['page_id']"],
    ['a hashed ctwa_clid', chat({ messaging_channel: 'whatsapp' }, { ctwa_clid: sha256('ARAkLk') }), META_SUBCODES.invalidUserData, "['ctwa_clid']"],
  ])('refuses %s, naming the parameter', async (_name, event, subcode, path) => {
    const res = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent({ event_id: 'fine' }), event] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, error_subcode: subcode });
    expect(res.body.error.error_user_msg).toContain("$['data'][1]");
    expect(res.body.error.error_user_msg).toContain(path);
    expect(sandbox.control.metaEvents()).toHaveLength(0);
  });
});
