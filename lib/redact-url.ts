/**
 * The URL as it may appear in an error message or a log: without credentials, query string or fragment,
 * where tokens travel. Parsed the way the WebSocket constructor parses it, so that no spelling the parser
 * accepts (stray whitespace, backslashes, an "@" inside a password) slips credentials through.
 */
export function redactUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.host) return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  if (parsed) return `${parsed.protocol}[redacted]`;
  // Not a URL at all: cut at the query or fragment, and drop everything up to the last "@" (credentials).
  const base = url.split(/[?#]/, 1)[0] ?? '';
  const at = base.lastIndexOf('@');
  if (at === -1) return base;
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/*/i.exec(base)?.[0] ?? '';
  return scheme + base.slice(at + 1);
}
