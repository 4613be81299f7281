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
  // Without a host, what reads as a scheme may be a user name ("user:password@host" parses as scheme "user"): only a
  // WebSocket or HTTP scheme is kept.
  if (parsed) return `${knownScheme(parsed.protocol)}[redacted]`;
  // Not a URL at all. A "?" or "#" before the last "@" may sit in a password or start a query: either way what follows
  // may be secret, and where the host starts cannot be told, so only the scheme is kept.
  const scheme = knownScheme(/^\s*[a-z][a-z0-9+.-]*:\/*/i.exec(url)?.[0] ?? '');
  const at = url.lastIndexOf('@');
  const cut = url.search(/[?#]/);
  if (at !== -1 && cut !== -1 && cut < at) return `${scheme}[redacted]`;
  // Otherwise cut at the query or fragment, and drop everything up to the last "@" (credentials).
  const base = cut === -1 ? url : url.slice(0, cut);
  const last = base.lastIndexOf('@');
  return last === -1 ? base : scheme + base.slice(last + 1);
}

/** `scheme` when it is a WebSocket or HTTP scheme (with what follows it: `ws://`), else nothing: it may be a user name. */
function knownScheme(scheme: string): string {
  return /^\s*(wss?|https?):/i.test(scheme) ? scheme : '';
}
