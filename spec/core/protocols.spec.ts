import fc from 'fast-check';
import { InvalidOptionError } from '../../lib/core/errors';
import { validateProtocols } from '../../lib/core/protocols';

function invalid(protocols: unknown): InvalidOptionError {
  try {
    validateProtocols(protocols);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected an InvalidOptionError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${JSON.stringify(protocols)} to be rejected`);
}

// RFC 7230 §3.2.6 tchar, spelled out character by character rather than as a pattern.
const TOKEN_CHARACTERS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const isToken = (text: string): boolean => text.length > 0 && [...text].every((c) => TOKEN_CHARACTERS.includes(c));

describe('validateProtocols', () => {
  describe('for valid sub-protocols', () => {
    it('offers none when given none', () => {
      expect(validateProtocols(undefined)).toBeUndefined();
    });

    it('returns one token, or a list of distinct tokens, as given', () => {
      expect(validateProtocols('graphql-transport-ws')).toBe('graphql-transport-ws');
      expect(validateProtocols(['v2.feed', 'v1.feed'])).toEqual(['v2.feed', 'v1.feed']);
    });

    it('accepts an empty list, as the browser does', () => {
      expect(validateProtocols([])).toEqual([]);
    });

    it('accepts every token character', () => {
      expect(validateProtocols(TOKEN_CHARACTERS)).toBe(TOKEN_CHARACTERS);
    });
  });

  describe('for sub-protocols the browser would reject', () => {
    it('rejects an empty one', () => {
      expect(invalid('').option).toBe('protocols[0]');
      invalid(['chat', '']);
    });

    it.each([' chat', 'chat ', 'v2 feed', 'chat\t', 'chat\n'])('rejects %j, which holds white space', (protocol) => {
      invalid(protocol);
      invalid(['ok', protocol]);
    });

    it.each([...'()<>@,;:\\"/[]?={}'])('rejects a sub-protocol holding the separator %s', (separator) => {
      invalid(`v2${separator}feed`);
    });

    it.each(['é', '\u0000', '\u007f', '中文', '😀'])('rejects %j, which is not ASCII token text', (protocol) => {
      invalid(protocol);
    });

    it('rejects a sub-protocol offered twice, saying so', () => {
      expect(invalid(['v2.feed', 'v1.feed', 'v2.feed']).message).toMatch(/repeat/);
    });

    it('names the index and the rule broken', () => {
      const broken = invalid(['chat', 'v2 feed']);
      expect(broken.option).toBe('protocols[1]');
      expect(broken.message).toMatch(/protocols\[1\].*a non-empty token, without spaces or separators/);
      const repeated = invalid(['chat', 'chat']);
      expect(repeated.option).toBe('protocols[1]');
      expect(repeated.message).toMatch(/sub-protocols must not repeat/);
    });

    it('never prints the sub-protocol itself, which may carry a token', () => {
      const secret = 'Bearer.eyJhbGciOi secret';
      expect(invalid(secret).message).not.toContain('eyJhbGciOi');
      expect(invalid(['access_token.abc123', 'access_token.abc123']).message).not.toContain('abc123');
      expect(invalid(secret).message).toMatch(/a string \(not shown\)/);
    });
  });

  describe('for values that are neither a string nor an array', () => {
    it.each([
      ['null', null],
      ['a number', 42],
      ['an object', { 0: 'chat', length: 1 }],
      ['a Set', new Set(['chat'])],
      ['a boolean', true],
    ])('rejects %s', (_, protocols) => {
      const error = invalid(protocols);
      expect(error.option).toBe('protocols');
      expect(error.message).toMatch(/a string or an array of strings/);
    });

    it.each([
      ['a number', [1]],
      ['null', [null]],
      ['a nested array', [['chat']]],
    ])('rejects an array holding %s', (_, protocols) => {
      invalid(protocols);
    });
  });

  describe('for any string', () => {
    it('accepts exactly the RFC 7230 tokens', () => {
      const text = fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.string({ unit: fc.constantFrom(...TOKEN_CHARACTERS, ' ', '/', '"', 'é'), maxLength: 8 }),
      );
      fc.assert(
        fc.property(text, (protocol) => {
          let accepted = true;
          try {
            validateProtocols(protocol);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidOptionError);
            accepted = false;
          }
          expect(accepted).toBe(isToken(protocol));
        }),
        { numRuns: 1_000 },
      );
    });
  });
});
