import fc from 'fast-check';
import { utf8ByteLength } from '../../lib/core/utf8';

const encoder = new TextEncoder();

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
/** Strings of whole code points, of raw code units, and mixes where surrogates pair up or not by chance. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: codeUnit, maxLength: 64 }),
  fc.string({ unit: fc.oneof(surrogate, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 64 }),
);

describe('utf8ByteLength', () => {
  it('is 0 for the empty string', () => {
    expect(utf8ByteLength('')).toBe(0);
  });

  it('counts 1, 2, 3 and 4 bytes on either side of each encoding boundary', () => {
    expect(
      ['\u0000', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', '\u{10000}', '\u{10ffff}'].map(utf8ByteLength),
    ).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('counts a surrogate pair as one 4-byte character', () => {
    expect(utf8ByteLength('😀')).toBe(4);
    expect(utf8ByteLength('a😀b')).toBe(6);
  });

  it('counts a lone surrogate as the 3 bytes of U+FFFD it is sent as', () => {
    expect(utf8ByteLength('\ud800')).toBe(3);
    expect(utf8ByteLength('\udfff')).toBe(3);
    expect(utf8ByteLength('\ud800a')).toBe(4);
    expect(utf8ByteLength('a\ud800')).toBe(4);
    expect(utf8ByteLength('\ud800\ud800')).toBe(6);
  });

  it('does not pair a low surrogate with a high one that follows it', () => {
    expect(utf8ByteLength('\udc00\ud800')).toBe(6);
    expect(utf8ByteLength('\udc00\ud800\udc00')).toBe(7);
  });

  it('agrees with Buffer.byteLength on any string, lone surrogates included', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with TextEncoder on any string, lone surrogates included', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(utf8ByteLength(text)).toBe(encoder.encode(text).length);
      }),
      { numRuns: 2_000 },
    );
  });
});
