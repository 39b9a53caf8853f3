import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openCsvSource, openJsonLinesSource, sniffDelimiter, type SourceRow } from './source.js';

async function rowsOf(source: { rows: AsyncIterable<SourceRow> }): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const row of source.rows) rows.push(row);
  return rows;
}

const values = (row: SourceRow | undefined) => (row && 'values' in row ? Object.fromEntries(row.values) : row);

describe('CSV source', () => {
  it('reads a BOM, CRLF, semicolons, quoted delimiters, doubled quotes and embedded newlines', async () => {
    const text = '\uFEFFEmail;Order ID;Notes;Conversion Value\r\n'
      + '"a@example.com";"o;1";"said ""hi""\r\nthen left";"4980"\r\n'
      + '\r\n'
      + 'b@example.com;o2;;12.5\r\n';
    const source = openCsvSource(Readable.from([Buffer.from(text)]), new Map());
    const rows = await rowsOf(source);
    expect(rows.map(values)).toEqual([
      { 'customer.email': ['a@example.com'], 'event.orderId': ['o;1'], 'event.value': ['4980'] },
      { 'customer.email': ['b@example.com'], 'event.orderId': ['o2'], 'event.value': ['12.5'] },
    ]);
    expect(rows.map((row) => row.row)).toEqual([1, 2]);
    expect(source.unusedColumns()).toEqual(['Notes']);
    expect(source.bytesRead()).toBe(Buffer.byteLength(text));
  });

  it('reads input split at any byte, tabs, and a header split across chunks', async () => {
    const text = 'email\tphone\n"x@example.com"\t555-0100\n';
    const bytes = Buffer.from(text);
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    const rows = await rowsOf(openCsvSource(Readable.from(chunks), new Map(), '\t'));
    expect(rows.map(values)).toEqual([{ 'customer.email': ['x@example.com'], 'customer.phone': ['555-0100'] }]);
  });

  it('takes stray quotes as text, and numbers a record it cannot read (an unclosed quote) as an unreadable row', async () => {
    const text = 'email,order id\nok1@example.com,o"1\n"ok2@example.com"x,o2\n"unclosed@example.com,o3\nswallowed@example.com,o4\n';
    const rows = await rowsOf(openCsvSource(Readable.from([text]), new Map()));
    expect(rows.map((row) => ('unreadable' in row ? `${row.row}:${row.unreadable}` : `${row.row}:ok`))).toEqual(['1:ok', '2:ok', '3:malformed CSV record']);
  });

  it('refuses an empty input', async () => {
    await expect(rowsOf(openCsvSource(Readable.from([]), new Map()))).rejects.toThrow(/empty/);
  });

  it('sniffs the delimiter from the header line only, ignoring quoted ones', () => {
    expect(sniffDelimiter('"a,b";c;d\n1,2,3,4,5')).toBe(';');
    expect(sniffDelimiter('a\tb\tc')).toBe('\t');
    expect(sniffDelimiter('email')).toBe(',');
  });
});

describe('JSON Lines source', () => {
  it('reads flat rows and the ingest shape, numbers bad lines, skips blank ones', async () => {
    const text = [
      '{"email":"a@example.com","order_id":"o1","value":4980}',
      '',
      '{"customer":{"email":["b@example.com","c@example.com"]},"event":{"eventName":"Lead","eventTime":1764300000},"consent":{"adUserData":"granted"}}',
      'not json',
      '[1,2]',
      '{"mystery":1}',
    ].join('\r\n');
    const source = openJsonLinesSource(Readable.from([text]), new Map());
    const rows = await rowsOf(source);
    expect(rows.map(values)).toEqual([
      { 'customer.email': ['a@example.com'], 'event.orderId': ['o1'], 'event.value': ['4980'] },
      { 'customer.email': ['b@example.com', 'c@example.com'], 'event.eventName': ['Lead'], 'event.eventTime': ['1764300000'], 'consent.adUserData': ['granted'] },
      { row: 3, unreadable: 'not valid JSON' },
      { row: 4, unreadable: 'not a JSON object' },
      {},
    ]);
    expect(source.unusedColumns()).toEqual(['mystery']);
  });
});
