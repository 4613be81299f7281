import fc from 'fast-check';
import { UnsupportedUrlError } from '../../lib/core/errors';
import { normalizeUrl } from '../../lib/core/url';

function unsupported(input: unknown): UnsupportedUrlError {
  try {
    normalizeUrl(input);
  } catch (error) {
    if (error instanceof UnsupportedUrlError) return error;
    throw new Error(`expected an UnsupportedUrlError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected an UnsupportedUrlError for ${String(input)}, it returned`);
}

/** Runs `body` as if in a page whose base URL is `baseURI`, then leaves no `document` behind. */
function inPage(baseURI: string, body: () => void): void {
  const global = globalThis as { document?: unknown };
  const before = Object.getOwnPropertyDescriptor(global, 'document');
  global.document = { baseURI };
  try {
    body();
  } finally {
    if (before) Object.defineProperty(global, 'document', before);
    else delete global.document;
  }
}

describe('normalizeUrl', () => {
  describe('for ws: and wss: URLs', () => {
    it('returns them absolute, path, port and query kept', () => {
      expect(normalizeUrl('ws://feed.example')).toBe('ws://feed.example/');
      expect(normalizeUrl('wss://feed.example:8443/live?room=1&token=abc')).toBe(
        'wss://feed.example:8443/live?room=1&token=abc',
      );
    });

    it('accepts a URL object without changing it', () => {
      const url = new URL('https://feed.example/live#top');
      expect(normalizeUrl(url)).toBe('wss://feed.example/live');
      expect(url.href).toBe('https://feed.example/live#top');
    });
  });

  describe('for http: and https: URLs', () => {
    it('turns http into ws and https into wss', () => {
      expect(normalizeUrl('http://feed.example/live?x=1')).toBe('ws://feed.example/live?x=1');
      expect(normalizeUrl('https://feed.example/live?x=1')).toBe('wss://feed.example/live?x=1');
    });

    it('reads the scheme whatever its case', () => {
      expect(normalizeUrl('HTTPS://Feed.Example/live')).toBe('wss://feed.example/live');
      expect(normalizeUrl('WS://feed.example/')).toBe('ws://feed.example/');
    });
  });

  describe('for URLs with a fragment', () => {
    it('drops it, as it is never sent', () => {
      expect(normalizeUrl('wss://feed.example/live?token=abc#section')).toBe('wss://feed.example/live?token=abc');
      expect(normalizeUrl('http://feed.example/live#')).toBe('ws://feed.example/live');
    });
  });

  describe('outside a page (Node)', () => {
    it.each(['/live', 'live', '//feed.example/live', '?room=1', ''])(
      'rejects the relative URL %j, saying that relative URLs need a page',
      (input) => {
        expect(unsupported(input).message).toMatch(/relative/);
      },
    );
  });

  describe('inside a page', () => {
    const base = 'https://app.example/dashboard/index.html?tab=2#top';

    it('resolves relative URLs against document.baseURI, as the browser constructor does', () => {
      inPage(base, () => {
        expect(normalizeUrl('/live')).toBe('wss://app.example/live');
        expect(normalizeUrl('live?room=1')).toBe('wss://app.example/dashboard/live?room=1');
        expect(normalizeUrl('../up')).toBe('wss://app.example/up');
        expect(normalizeUrl('//cdn.example/live')).toBe('wss://cdn.example/live');
        expect(normalizeUrl('?room=1')).toBe('wss://app.example/dashboard/index.html?room=1');
      });
    });

    it('keeps an insecure page insecure', () => {
      inPage('http://localhost:4200/', () => {
        expect(normalizeUrl('/live')).toBe('ws://localhost:4200/live');
      });
    });

    it('leaves absolute URLs alone', () => {
      inPage(base, () => {
        expect(normalizeUrl('wss://other.example/live')).toBe('wss://other.example/live');
      });
    });

    it('still rejects other schemes and garbage', () => {
      inPage(base, () => {
        expect(unsupported('ftp://files.example/').message).toMatch(/ftp:/);
        expect(unsupported('http://[::1').message).toMatch(/not a valid URL/);
      });
    });

    it('rejects a relative URL in a page that is itself not http(s), as the browser does', () => {
      inPage('file:///home/me/index.html', () => {
        expect(unsupported('/live').message).toMatch(/file:/);
      });
    });
  });

  describe('for other schemes', () => {
    it.each([
      ['ftp://files.example/', 'ftp:'],
      ['file:///etc/passwd', 'file:'],
      ['javascript:alert(1)', 'javascript:'],
      ['data:text/plain,hello', 'data:'],
      ['about:blank', 'about:'],
      ['x-custom://host/path', 'x-custom:'],
    ])('rejects %s, naming the scheme', (input, scheme) => {
      expect(unsupported(input).message).toContain(`"${scheme}"`);
    });

    it('does not name a "scheme" that may be a user name: user:password@host, without a scheme', () => {
      const { message } = unsupported('admin:hunter2@feed.example/live');
      expect(message).not.toContain('admin');
      expect(message).toMatch(/its scheme is not ws:/);
    });
  });

  describe('for garbage', () => {
    it.each(['', ' ', 'http://', 'ws://[::1', 'wss://exa mple.com/', '::', 'ws//feed.example'])(
      'rejects %j with UnsupportedUrlError',
      (input) => {
        expect(unsupported(input).code).toBe('ERR_UNSUPPORTED_URL');
      },
    );
  });

  describe('for values that are not strings or URLs', () => {
    it.each([
      ['undefined', undefined, 'undefined'],
      ['null', null, 'null'],
      ['a number', 443, 'number'],
      ['an object', { href: 'wss://feed.example/' }, 'object'],
      ['an array', ['wss://feed.example/'], 'object'],
      ['a symbol', Symbol('url'), 'symbol'],
      ['a function', () => 'wss://feed.example/', 'function'],
    ])('rejects %s, saying what it got', (_, input, what) => {
      expect(unsupported(input).message).toContain(`got ${what}`);
    });
  });

  describe('in its error messages', () => {
    it('leaves out the query string and the fragment', () => {
      const message = unsupported('ftp://files.example/x?token=s3cret#frag-s3cret').message;
      expect(message).toContain('ftp://files.example/x');
      expect(message).not.toContain('s3cret');
    });

    it('leaves out credentials', () => {
      const message = unsupported('ftp://admin:hunter2@files.example/').message;
      expect(message).toContain('files.example');
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain('admin');
    });

    it.each([
      ['leading whitespace, which the URL parser strips', ' ftp://admin:hunter2@files.example/'],
      ['a tab inside the scheme, which the URL parser removes', 'ft\tp://admin:hunter2@files.example/'],
      ['backslashes in place of slashes', 'ftp:\\\\admin:hunter2@files.example/'],
      ['no slashes after a special scheme', 'ftp:admin:hunter2@files.example/'],
      ['an "@" inside the password', 'ftp://admin:hun@ter2@files.example/'],
    ])('leaves out credentials written with %s', (_, input) => {
      const parsed = new URL(input);
      expect(parsed.password).not.toBe('');
      const message = unsupported(input).message;
      expect(message).not.toContain('hunter2');
      expect(message).not.toContain('ter2');
    });
  });

  describe('for any string', () => {
    const schemes = fc.oneof(
      fc.constantFrom('ws', 'wss', 'http', 'https', 'WSS', 'ftp', 'file', 'mailto', 'javascript', 'data', 'blob'),
      fc.stringMatching(/^[a-z][a-z0-9+.-]{0,6}$/),
    );
    const separators = fc.constantFrom('://', ':', ':/', ':///', ':\\\\', ':\\/', '//', '');
    const hosts = fc.constantFrom(
      'feed.example',
      'feed.example:8443',
      '[::1]',
      '[::1',
      '127.0.0.1',
      'ex ample',
      '',
      '%zz',
    );
    const text = fc.string({ maxLength: 12 });
    const urlLike = fc
      .tuple(fc.constantFrom('', ' ', '\t', '\n', '\u0000', ' \u001f'), schemes, separators, hosts, text, text)
      .map(([lead, scheme, separator, host, path, query]) => `${lead}${scheme}${separator}${host}/${path}?${query}`);
    const anyInput = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      urlLike,
      fc.webUrl({
        validSchemes: ['http', 'https', 'ws', 'wss', 'ftp', 'file'],
        withQueryParameters: true,
        withFragments: true,
        authoritySettings: { withUserInfo: true, withPort: true, withIPv6: true },
      }),
    );

    it('returns an absolute ws:/wss: URL without a fragment, or throws UnsupportedUrlError: nothing else', () => {
      fc.assert(
        fc.property(anyInput, (input) => {
          let result: string;
          try {
            result = normalizeUrl(input);
          } catch (error) {
            expect(error).toBeInstanceOf(UnsupportedUrlError);
            return;
          }
          const url = new URL(result);
          expect(['ws:', 'wss:']).toContain(url.protocol);
          expect(url.href).toBe(result);
          expect(result).not.toContain('#');
        }),
        { numRuns: 1_000 },
      );
    });

    it('never puts the query string or the fragment of the input in its error message', () => {
      fc.assert(
        fc.property(anyInput, (input) => {
          const cut = input.search(/[?#]/);
          if (cut === -1 || cut === input.length - 1) return;
          let message: string;
          try {
            normalizeUrl(input);
            return;
          } catch (error) {
            message = (error as Error).message;
          }
          expect(message).not.toContain(input.slice(cut));
        }),
        { numRuns: 1_000 },
      );
    });

    it('never puts the credentials the URL parser finds in the input in its error message', () => {
      const secret = fc.stringMatching(/^[A-Za-z0-9]{6,10}$/).map((s) => `S3CR3T${s}`);
      const withCredentials = fc
        .tuple(
          fc.constantFrom('', ' ', '\t', '\n', '  \u0000'),
          schemes,
          separators,
          fc.constantFrom('', 'user:', 'us@er:', ':'),
          secret,
          fc.constantFrom('', '@tail'),
          hosts,
          text,
        )
        .map(
          ([lead, scheme, separator, user, password, tail, host, path]) =>
            [`${lead}${scheme}${separator}${user}${password}${tail}@${host}/${path}`, password] as const,
        );
      fc.assert(
        fc.property(withCredentials, ([input, password]) => {
          let parsed: URL;
          try {
            parsed = new URL(input);
          } catch {
            return;
          }
          if (!`${parsed.username}:${parsed.password}`.includes(password)) return;
          let message: string;
          try {
            normalizeUrl(input);
            return;
          } catch (error) {
            message = (error as Error).message;
          }
          expect(message).not.toContain(password);
        }),
        { numRuns: 1_000 },
      );
    });
  });
});

describe('normalizeUrl, in its messages for what it cannot parse', () => {
  const INVALID = 'not a valid URL';
  const RELATIVE = 'a relative URL needs a page or worker location to resolve against';

  it.each(['ws://[::1', 'wss://[', '  wss://['])('calls %j, which has a scheme, not a valid URL', (input) => {
    expect(unsupported(input).message).toContain(INVALID);
    expect(unsupported(input).message).not.toContain(RELATIVE);
  });

  it('calls a relative URL with a colon in its path relative outside a page', () => {
    expect(unsupported('/feed:1').message).toContain(RELATIVE);
  });

  it('calls what does not parse inside a page not a valid URL, scheme or none', () => {
    inPage('https://app.example/', () => {
      expect(unsupported('//[').message).toContain(INVALID);
    });
  });
});
