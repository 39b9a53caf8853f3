import { describe, expect, it } from 'vitest';
import { EMPTY_STRING_DIGEST, isDigest, sha256Hex } from './hash.js';

describe('sha256Hex', () => {
  it.each([
    ['john_smith@gmail.com', '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'],
    ['정', '8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14'],
  ])('hashes the UTF-8 bytes of %j to lowercase hex', (value, digest) => {
    expect(sha256Hex(value)).toBe(digest);
  });

  it('refuses the empty string instead of emitting the empty-string digest', () => {
    expect(() => sha256Hex('')).toThrow(RangeError);
    expect(EMPTY_STRING_DIGEST).toMatch(/^e3b0c442/);
  });
});

describe('isDigest', () => {
  it.each([
    ['62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f', true],
    ['62A14E44F765419D10FEA99367361A727C12365E2520F32218D505ED9AA0F62F', true],
    ['62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62', false],
    ['62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f0', false],
    ['g2a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f', false],
    ['', false],
  ])('%j → %s', (value, expected) => {
    expect(isDigest(value)).toBe(expected);
  });
});
