import type { z } from 'zod';
import { ID_CONTROL_MESSAGE, ID_PHONE_MESSAGE } from './contract-limits.js';

/** One contract violation: where, and what is wrong. Never the submitted value. */
export interface ContractIssue {
  /** Dotted path into the item, e.g. `customer.email[1]`, `event.eventTime`; empty for the item itself. */
  path: string;
  message: string;
}

type Issue = z.core.$ZodIssue;
type PathSegment = PropertyKey;

/** Keys that look like field names may be named in a path; anything else could be data. */
const NAMEABLE_KEY = /^[A-Za-z_$][\w$]{0,63}$/;

/** Messages this package writes into its schemas; every other zod message is replaced by a fixed text. */
export const AUTHORED_MESSAGES: ReadonlySet<string> = new Set([
  'must not be blank',
  'must be a 3-letter ISO 4217 code',
  'must not contain an email address (ids are not hashed)',
  ID_CONTROL_MESSAGE,
  ID_PHONE_MESSAGE,
  'must be a numeric id',
]);

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  record: 'an object',
};

export function formatPath(path: readonly PathSegment[]): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      formatted += `[${segment}]`;
    } else if (typeof segment === 'string' && NAMEABLE_KEY.test(segment)) {
      formatted += formatted === '' ? segment : `.${segment}`;
    } else {
      formatted += '[?]';
    }
  }
  return formatted;
}

function hasKey(input: unknown, path: readonly PathSegment[]): boolean {
  let current: unknown = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) {
      return false;
    }
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return true;
}

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? 'of another type';
}

function sizeMessage(issue: Issue & { code: 'too_big' | 'too_small' }): string {
  const bigger = issue.code === 'too_small';
  const limit = Number(bigger ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
  const bound = issue.inclusive === false ? (bigger ? 'more than' : 'less than') : bigger ? 'at least' : 'at most';
  switch (issue.origin) {
    case 'string':
      return `must have ${bound} ${limit} characters`;
    case 'array':
    case 'set':
      return `must have ${bound} ${limit} items`;
    default:
      return `must be ${bound === 'more than' ? 'greater than' : bound} ${limit}`;
  }
}

function unionMessage(issue: Issue & { code: 'invalid_union' }): string {
  const expected = new Set<string>();
  for (const branch of issue.errors) {
    for (const nested of branch) {
      if (nested.code === 'invalid_type' && nested.path.length === 0) {
        expected.add(typeName(nested.expected));
      }
    }
  }
  return expected.size === 0 ? 'does not match any accepted form' : `must be ${[...expected].join(' or ')}`;
}

/**
 * The one union branch whose type matched (`["ok", 7]` is an array, so the string branch is moot),
 * so its precise issues can be reported instead of "must be a string or an array".
 */
function matchedBranch(issue: Issue & { code: 'invalid_union' }): readonly Issue[] | undefined {
  const typeMatched = issue.errors.filter(
    (branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  );
  return typeMatched.length === 1 ? typeMatched[0] : undefined;
}

function formatMessage(issue: Issue & { code: 'invalid_format' }): string {
  switch (issue.format) {
    case 'url':
      return 'must be an http(s) URL';
    case 'datetime':
      return 'must be unix seconds or an ISO 8601 date-time with a time zone';
    default:
      return 'has an invalid format';
  }
}

function messageFor(issue: Issue, input: unknown): string {
  if (AUTHORED_MESSAGES.has(issue.message)) {
    return issue.message;
  }
  switch (issue.code) {
    case 'invalid_type':
      return hasKey(input, issue.path) || issue.path.length === 0
        ? `must be ${typeName(issue.expected)}`
        : 'is required';
    case 'too_big':
    case 'too_small':
      return sizeMessage(issue);
    case 'invalid_format':
      return formatMessage(issue);
    case 'invalid_value':
      // The allowed values come from the schema, never from the input.
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      return unionMessage(issue);
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return 'is invalid';
  }
}

/**
 * Turns zod issues into `{path, message}` pairs with fixed messages, so nothing the client sent can
 * come back in an error response (docs/architecture.md#errors: an error never echoes a submitted value). Unknown keys are
 * reported one by one at their own path when they look like field names.
 */
export function describeIssues(issues: readonly Issue[], input: unknown): ContractIssue[] {
  const described: ContractIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const nameable = NAMEABLE_KEY.test(key);
        described.push({
          path: formatPath(nameable ? [...issue.path, key] : issue.path),
          message: nameable ? 'is not a known field' : 'has a field that is not known',
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      const matched = matchedBranch(issue);
      if (matched !== undefined) {
        const nested = matched.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
        described.push(...describeIssues(nested, input));
        continue;
      }
    }
    described.push({ path: formatPath(issue.path), message: messageFor(issue, input) });
  }
  return described;
}
