import fc from 'fast-check';
import { redactUrl } from '../../lib/core/redact-url';

describe('redactUrl', () => {
  describe('for URLs without secrets', () => {
    it('returns them unchanged, scheme, host, port and path included', () => {
      for (const url of [
        'wss://feed.example/',
        'ws://127.0.0.1:8080/a/b.json',
        'wss://[::1]:8443/live',
        'relative/path',
      ]) {
        expect(redactUrl(url)).toBe(url);
      }
    });

    it('takes an "@" in the path for a path, not for credentials', () => {
      expect(redactUrl('wss://feed.example/users/@me')).toBe('wss://feed.example/users/@me');
    });
  });

  describe('for the query string', () => {
    it('cuts it off, with its "?"', () => {
      expect(redactUrl('wss://feed.example/live?token=s3cret&room=1')).toBe('wss://feed.example/live');
      expect(redactUrl('wss://feed.example/live?')).toBe('wss://feed.example/live');
    });

    it('cuts it off even where it holds an "@" or a "#"', () => {
      expect(redactUrl('wss://feed.example/live?user=a@b.example#x')).toBe('wss://feed.example/live');
    });

    it('cuts off the query of text that is not a URL too', () => {
      expect(redactUrl('not a url?token=s3cret')).toBe('not a url');
    });
  });

  describe('for the fragment', () => {
    it('cuts it off, with its "#", even where it holds a "?"', () => {
      expect(redactUrl('wss://feed.example/live#access_token=s3cret')).toBe('wss://feed.example/live');
      expect(redactUrl('wss://feed.example/live#a?b')).toBe('wss://feed.example/live');
    });
  });

  describe('for credentials', () => {
    it('drops user:password@', () => {
      expect(redactUrl('wss://admin:hunter2@feed.example/live')).toBe('wss://feed.example/live');
    });

    it('drops them from a URL without a scheme, where a URL parser reads the user name as the scheme', () => {
      expect(redactUrl('admin:hunter2@feed.example/live')).toBe('[redacted]');
      expect(redactUrl('admin:hunter2@feed.example/live?token=abc')).toBe('[redacted]');
      expect(redactUrl('admin:hunter 2@feed.example')).not.toContain('admin');
    });

    it('drops a user alone, and a password alone', () => {
      expect(redactUrl('wss://admin@feed.example/live')).toBe('wss://feed.example/live');
      expect(redactUrl('wss://:hunter2@feed.example:8443/')).toBe('wss://feed.example:8443/');
    });

    it('drops them whatever the scheme and its case (the scheme comes back lower-cased, as the URL parser gives it)', () => {
      expect(redactUrl('FTP://admin:hunter2@files.example/')).toBe('ftp://files.example/');
      expect(redactUrl('git+ssh://git:key@host.example/repo')).toBe('git+ssh://host.example/repo');
    });

    it('drops credentials, query and fragment together', () => {
      expect(redactUrl('https://admin:hunter2@feed.example/live?token=s3cret#frag')).toBe('https://feed.example/live');
    });

    it('drops the whole password when it holds an "@", as the URL parser reads it', () => {
      const input = 'wss://admin:hun@ter2@feed.example/live';
      expect(new URL(input).host).toBe('feed.example');
      expect(redactUrl(input)).toBe('wss://feed.example/live');
    });

    it('keeps only the scheme of text that is not a URL where a "?" or "#" comes before an "@" (a password or a query: what follows may be secret either way)', () => {
      for (const input of [
        'ws://alice:s3cr#et@feed.example/x',
        'ws://alice:s3cr?et@feed.example/x',
        'wss://feed.example:70000/live?user=me@x.example&token=s3cret',
      ]) {
        expect(() => new URL(input)).toThrow();
        expect(redactUrl(input)).toMatch(/^wss?:\/\/\[redacted]$/);
      }
    });

    it('keeps the host and path of text that is not a URL, without its credentials or query, where they cannot be confused', () => {
      const input = 'wss://admin:hunter2@feed.example:70000/live?token=s3cret';
      expect(() => new URL(input)).toThrow();
      expect(redactUrl(input)).toBe('wss://feed.example:70000/live');
    });

    it('drops credentials behind leading whitespace, which the URL parser ignores', () => {
      const input = '  wss://admin:hunter2@feed.example/live';
      expect(new URL(input).password).toBe('hunter2');
      expect(redactUrl(input)).not.toContain('hunter2');
      expect(redactUrl(input)).toContain('feed.example/live');
    });
  });

  describe('for any web URL', () => {
    const webUrl = fc.webUrl({
      validSchemes: ['ws', 'wss', 'http', 'https'],
      withQueryParameters: true,
      withFragments: true,
      authoritySettings: { withUserInfo: true, withPort: true, withIPv4: true },
    });

    it('leaves a URL with the same host and path, and without credentials, query or fragment', () => {
      fc.assert(
        fc.property(webUrl, (input) => {
          const original = new URL(input);
          const redacted = new URL(redactUrl(input));
          expect(redacted.username).toBe('');
          expect(redacted.password).toBe('');
          expect(redacted.search).toBe('');
          expect(redacted.hash).toBe('');
          expect(redacted.host).toBe(original.host);
          expect(redacted.pathname).toBe(original.pathname);
        }),
      );
    });

    it('is idempotent', () => {
      fc.assert(
        fc.property(fc.oneof(webUrl, fc.string()), (input) => {
          expect(redactUrl(redactUrl(input))).toBe(redactUrl(input));
        }),
      );
    });
  });
});

describe('redactUrl, for text that is not a URL', () => {
  it.each([
    // Credentials with no query: the host and path after the last "@".
    ['bad url u:p@feed.example/path', 'feed.example/path'],
    // A query with no credentials: cut there.
    ['bad url/path?token=s3cret', 'bad url/path'],
    // A "?" before the "@", at the very start: nothing but the scheme, and there is none.
    ['?@s3cret', '[redacted]'],
    // A WebSocket scheme that is not at the start is no scheme.
    ['ab cd wss://u:p@feed.example', 'feed.example'],
    // A WebSocket URL the parser rejects, without credentials: kept up to its query, its scheme once.
    ['ws://[bad/path?token=s3cret', 'ws://[bad/path'],
    // An http: scheme is kept as well as a ws: one.
    ['http://[bad?token=1@feed.example', 'http://[redacted]'],
  ])('makes %j %j', (input, expected) => {
    expect(() => new URL(input)).toThrow();
    expect(redactUrl(input)).toBe(expected);
  });

  it('keeps no scheme that merely ends like a WebSocket one (it may be a user name)', () => {
    expect(redactUrl('xws:s3cret')).toBe('[redacted]');
  });
});
