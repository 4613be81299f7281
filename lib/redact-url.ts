/**
 * The URL as it may appear in an error message or a log: without credentials,
 * query string or fragment, where tokens travel.
 */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const base = cut === -1 ? url : url.slice(0, cut);
  // user:password@ lives between the scheme's "//" and the first "/" of the path.
  return base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
