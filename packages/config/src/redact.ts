import type { Config } from './types.js';

const SECRET_KEYS = new Set([
  'webhookSecrets',
  'webhookSigningSecret',
  'queueEncryptionKey',
  'accessToken',
  'developerToken',
  'clientSecret',
  'refreshToken',
  'token',
]);

/** A copy of the configuration safe to print: every secret replaced by `[redacted]`. */
export function redactConfig(config: Config): unknown {
  const redact = (value: unknown): unknown => {
    if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [k, redact(v)]));
    if (Array.isArray(value)) return value.map(redact);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => [key, SECRET_KEYS.has(key) ? '[redacted]' : redact(inner)]),
      );
    }
    return value;
  };
  const redacted = redact(config) as Record<string, unknown>;
  // The Redis URL may carry a password.
  redacted.redisUrl = redactUrl(config.redisUrl);
  return redacted;
}

export function redactUrl(url: string): string {
  if (/^redis-(sentinel|cluster):/.test(url)) return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
