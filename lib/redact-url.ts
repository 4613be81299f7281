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
  // Not a URL at all: drop everything up to the last "@" (credentials, even with a "?" or "#" in the password), then
  // cut at the query or fragment.
  const at = url.lastIndexOf('@');
  const scheme = at === -1 ? '' : (/^\s*[a-z][a-z0-9+.-]*:\/*/i.exec(url)?.[0] ?? '');
  return scheme + (url.slice(at + 1).split(/[?#]/, 1)[0] ?? '');
}
