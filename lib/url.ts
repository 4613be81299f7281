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
    throw new UnsupportedUrlError(input, `expected a string or URL, got ${input === null ? 'null' : typeof input}`);
  }
  const text = String(input);
  let url: URL;
  try {
    url = new URL(text, pageBase());
  } catch {
    const why =
      pageBase() !== undefined || /^\s*[a-z][a-z0-9+.-]*:/i.test(text)
        ? 'it is not a valid URL'
        : 'it is not an absolute URL (relative URLs need a page or worker location to resolve against)';
    throw new UnsupportedUrlError(text, why);
  }
  switch (url.protocol) {
    case 'ws:':
    case 'wss:':
      break;
    case 'http:':
      url.protocol = 'ws:';
      break;
    case 'https:':
      url.protocol = 'wss:';
      break;
    default:
      throw new UnsupportedUrlError(text, `the scheme "${url.protocol}" is not ws:, wss:, http: or https:`);
  }
  url.hash = '';
  return url.href;
}

function pageBase(): string | undefined {
  // A page's base URL, or a worker's location: what the native constructor resolves relative URLs against.
  const scope = globalThis as { document?: { baseURI?: unknown }; location?: { href?: unknown } };
  const base = scope.document?.baseURI ?? scope.location?.href;
  return typeof base === 'string' ? base : undefined;
}
