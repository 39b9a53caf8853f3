import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { EMAIL_INSIDE, hasControlOrLoneSurrogate, isInternationalPhoneNumber } from './contract-limits.js';

/**
 * The ingest contract as a compiled check, for the hot path (docs/decisions.md#compiled-contract-check).
 * zod stays the one definition: ajv runs the JSON Schema `z.toJSONSchema` derives from it, and the
 * few rules JSON Schema cannot state (the id refinements, the URL rule) and what zod's parse does
 * besides validating (the `eventTime` and `currency` transforms, the URL trim, copying into fresh
 * objects in schema order) are written out below. Whatever this check refuses goes to zod, which
 * decides and names the failing fields; a property test (contract-check.test.ts) keeps the two equal
 * on accepted items, value for value and key for key.
 */

/** Returned by a converter that cannot vouch for a value: the item goes to zod. */
const REFUSE: unique symbol = Symbol('refuse');
type Convert = (value: unknown) => unknown;

export interface ContractSchemas {
  item: z.ZodObject;
  customer: z.ZodObject;
  event: z.ZodObject;
  consent: z.ZodObject;
  contentItem: z.ZodObject;
}

/** A string or an array of strings (ajv checked which): zod returns arrays as fresh copies. */
const customerValue: Convert = (value) => (typeof value === 'string' ? value : [...(value as string[])]);

/** The `plainId` refinements of contract.ts, in plain code; length and type are ajv's. */
const plainId: Convert = (value) => {
  const text = value as string;
  if (text.trim().length === 0 || EMAIL_INSIDE.test(text) || hasControlOrLoneSurrogate(text) || isInternationalPhoneNumber(text)) {
    return REFUSE;
  }
  return text;
};

/** `eventTime`: unix seconds as given, or an ISO date-time (ajv checked zod's pattern) in seconds. */
const eventTime: Convert = (value) => (typeof value === 'number' ? value : Date.parse(value as string) / 1000);

const upperCase: Convert = (value) => (value as string).toUpperCase();

const HTTP_PREFIX = /^https?:\/\//i;
const HTTP_PROTOCOL = /^https?$/;
const TAB_OR_NEWLINE = /[\t\n\r]/g;

/**
 * zod's `z.url({ protocol: /^https?$/ })`: the trimmed text must start with `http(s)://`, parse as a
 * URL and have that protocol; the value becomes the trimmed text without tabs and line breaks.
 */
const httpUrl: Convert = (value) => {
  const trimmed = (value as string).trim();
  if (!HTTP_PREFIX.test(trimmed)) return REFUSE;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return REFUSE;
  }
  const protocol = url.protocol.endsWith(':') ? url.protocol.slice(0, -1) : url.protocol;
  return HTTP_PROTOCOL.test(protocol) ? trimmed.replace(TAB_OR_NEWLINE, '') : REFUSE;
};

/** `z.record(z.string(), z.unknown())`: a copy of a plain object; anything unusual is left to zod. */
const record: Convert = (value) => {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return REFUSE;
  const source = value as Record<string, unknown>;
  const keys = Reflect.ownKeys(source);
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    if (typeof key !== 'string' || key === '__proto__' || !Object.prototype.propertyIsEnumerable.call(source, key)) return REFUSE;
    copy[key] = source[key];
  }
  return copy;
};

/**
 * A strict object of known keys: a fresh object with the keys in schema order, each present key
 * converted (a key present as `undefined` stays so, as zod keeps it). The copy is generated as code
 * with the schema's keys written out, as ajv does for its checks: a loop over 27 event keys with
 * computed property names cost more than the whole compiled validation. The keys come from our own
 * schemas, never from input, and enter the code as JSON string literals.
 */
function object(keys: readonly string[], converters: Readonly<Record<string, Convert>>): Convert {
  const statements = keys.map((key, index) => {
    const name = JSON.stringify(key);
    const store = converters[key] === undefined
      ? `copy[${name}] = value;`
      : `value = convert[${index}](value); if (value === REFUSE) return REFUSE; copy[${name}] = value;`;
    return `value = source[${name}]; if (value !== undefined) { ${store} } else if (${name} in source) copy[${name}] = undefined;`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the schema's own keys (see above)
  const build = new Function('convert', 'REFUSE', `return function copyObject(source) {\n  const copy = {};\n  let value;\n  ${statements.join('\n  ')}\n  return copy;\n};`) as
    (convert: readonly (Convert | undefined)[], refuse: typeof REFUSE) => Convert;
  return build(keys.map((key) => converters[key]), REFUSE);
}

function arrayOf(convert: Convert): Convert {
  return (value) => {
    const source = value as unknown[];
    const copy: unknown[] = new Array<unknown>(source.length);
    for (let index = 0; index < source.length; index += 1) {
      const converted = convert(source[index]);
      if (converted === REFUSE) return REFUSE;
      copy[index] = converted;
    }
    return copy;
  };
}

const shapeKeys = (schema: z.ZodObject): string[] => Object.keys(schema.shape);

/** zod's parsed output for `input` when the check can vouch for it; undefined means "ask zod". */
export interface ContractCheck<T = unknown> {
  (input: unknown): T | undefined;
  /** Compiles the check now (a service calls it at boot, so no request waits for it); idempotent. */
  warm(): void;
  /** Whether it has been compiled (by `warm` or a first item). */
  readonly compiled: boolean;
}

/** Builds the check for the given schemas; compiled by `warm()` or on first use. */
export function createContractCheck(schemas: ContractSchemas): ContractCheck {
  let compiled: { validate: (input: unknown) => boolean; convert: Convert } | undefined;

  const compile = () => {
    const ajv = new Ajv2020({
      strict: true,
      allErrors: false,
      // Lengths in code points, as zod counts them (ajv's default); zod's regexes have no `u` flag.
      unicodeRegExp: false,
      // `date-time` comes with zod's own pattern, `uri` is the URL rule above.
      validateFormats: false,
    });
    const validate = ajv.compile(z.toJSONSchema(schemas.item, { io: 'input' }));
    const contentItem = object(shapeKeys(schemas.contentItem), { id: plainId });
    const limitedDataUse = object(['country', 'state'], {});
    const convert = object(shapeKeys(schemas.item), {
      customer: object(shapeKeys(schemas.customer), Object.fromEntries(shapeKeys(schemas.customer).map((key) => [key, customerValue]))),
      event: object(shapeKeys(schemas.event), {
        eventName: plainId,
        eventId: plainId,
        orderId: plainId,
        eventTime,
        currency: upperCase,
        eventSourceUrl: httpUrl,
        contents: arrayOf(contentItem),
        customData: record,
      }),
      consent: object(shapeKeys(schemas.consent), {
        limitedDataUse: (value) => (typeof value === 'boolean' ? value : limitedDataUse(value)),
      }),
      destinations: (value) => [...(value as unknown[])],
    });
    return { validate: (input: unknown) => validate(input), convert };
  };

  const check = (input: unknown): unknown => {
    compiled ??= compile();
    if (!compiled.validate(input)) return undefined;
    const converted: unknown = compiled.convert(input);
    return converted === REFUSE ? undefined : converted;
  };
  return Object.defineProperties(check, {
    warm: { value: () => { compiled ??= compile(); } },
    compiled: { get: () => compiled !== undefined },
  }) as ContractCheck;
}
