import { UnsupportedUrlError } from './errors';

/** A WebSocket URL: absolute `ws:`, `wss:`, `http:` or `https:` (the last two become `ws:`/`wss:`). */
export type UrlInput = string | URL;

/**
 * The absolute `ws:`/`wss:` URL to connect to. `http(s)` becomes `ws(s)`, and the fragment is dropped
 * (it is never sent). A relative URL resolves against the page's base URL in a browser, as the
 * browser's own constructor does; where there is no page (Node), it is an {@link UnsupportedUrlError}.
 */
export function normalizeUrl(input: unknown): string {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new UnsupportedUrlError(
      input,
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `expected a string or URL, got ${input === null ? 'null' : typeof input}`
        : 'type',
    );
  }
  const text = String(input);
  const base = pageBase();
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new UnsupportedUrlError(
      text,
      base !== undefined || /^\s*[a-z][a-z0-9+.-]*:/i.test(text)
        ? typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
          ? 'not a valid URL'
          : 'invalid'
        : typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
          ? 'a relative URL needs a page or worker location to resolve against'
          : 'relative',
    );
  }
  // http: becomes ws:, https: becomes wss:.
  const scheme = url.protocol.replace(/^http/, 'ws');
  if (scheme !== 'ws:' && scheme !== 'wss:') {
    throw new UnsupportedUrlError(
      text,
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? // Without a host, before an "@" the "scheme" may be a user name (`user:password@host`): not printed then.
          `${url.host || !url.href.includes('@') ? `scheme "${url.protocol}"` : 'its scheme'} is not ws:, wss:, http: or https:`
        : 'scheme',
    );
  }
  url.protocol = scheme;
  url.hash = '';
  return url.href;
}

function pageBase(): string | undefined {
  // A page's base URL, or a worker's location: what the native constructor resolves relative URLs against.
  const scope = globalThis as { document?: { baseURI?: unknown }; location?: { href?: unknown } };
  const base = scope.document?.baseURI ?? scope.location?.href;
  return typeof base === 'string' ? base : undefined;
}
