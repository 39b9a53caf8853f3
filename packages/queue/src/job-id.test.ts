import { describe, expect, it } from 'vitest';
import { jobIdFor } from './job-id.js';

describe('jobIdFor', () => {
  it('derives BullMQ-safe, per-destination job ids', () => {
    const id = jobIdFor('meta', 'order:2025:0001');
    expect(id).toMatch(/^meta-[0-9a-f]{40}$/);
    expect(jobIdFor('google', 'order:2025:0001')).not.toBe(id.replace('meta', 'google').slice(0, 5));
    expect(jobIdFor('meta', 'order:2025:0001')).toBe(id);
  });
});
