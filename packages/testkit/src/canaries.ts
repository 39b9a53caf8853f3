/**
 * Distinctive raw personal values for privacy tests: none may ever appear in Redis, a log line, a
 * metric or a response. One set for every test that sends them (the api's canary test, the
 * reliability suite), so a leak found by one is searched for by all.
 */
export const CANARIES = {
  email: 'ZqCanary.Person@canary-mail-zq.example',
  phoneNational: '090-7717-3141',
  phoneInternational: '+81 90 7717 3141',
  phoneParenthesized: '(090) 7717 3141',
  phoneE164: '+819077173141',
  phoneDigits: '9077173141',
  firstName: 'Zebulonqx',
  lastName: "O'Quixotevar",
  city: 'Canaryvillezq',
  state: 'Canarystatezq',
  zip: '987-6543',
  street: '77 Canarystreet Zq',
  dateOfBirth: '1987-03-14',
  externalId: 'canary-external-zq',
  ip: '198.51.100.77',
  userAgent: 'CanaryAgentZQ/9.9 (X11)',
  fbc: 'fb.1.1700000000000.IwARcanaryZQ',
  fbp: 'fb.1.1700000000000.1357913579',
  gclid: 'CanaryGclidZQ',
  gbraid: 'CanaryGbraidZQ',
  url: 'https://canary-shop-zq.example/thank-you?ref=zq',
  custom: 'canary-custom-zq',
} as const;

/** The canary phone number in the formats clients send. */
export const CANARY_PHONES: readonly string[] = [CANARIES.phoneNational, CANARIES.phoneInternational, CANARIES.phoneParenthesized, CANARIES.phoneE164];

/**
 * What a scan looks for (case-insensitive, see `findCanaries`): every raw value, plus the pieces that
 * survive normalization unhashed (a lower-cased email, a phone without separators, a date without dashes).
 */
export const CANARY_SEARCH: readonly string[] = [
  ...Object.values(CANARIES),
  'canary-mail-zq', 'zqcanary.person', '7717-3141', '7717 3141', '9077173141', 'Quixotevar', 'Canarystreet', '19870314',
  'CanaryAgentZQ', 'IwARcanaryZQ', '1357913579', 'canary-shop-zq',
];
