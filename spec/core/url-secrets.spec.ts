import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { fromWebSocket, type RxWebSocketError } from 'rx-websocket';
import { createWebSocketDouble } from 'rx-websocket/testing';
import { redactUrl } from '../../lib/core/redact-url';

// Everything of a URL that may be secret stays out of what the library prints or reports: the user name as well as the
// password, the query string and the fragment (where OAuth implicit flows put a token), whatever the spelling.

const secret = (prefix: string): fc.Arbitrary<string> =>
  fc.stringMatching(/^[A-Za-z0-9]{8,12}$/).map((s) => `${prefix}${s}`);

/** URLs carrying a secret in each of the four places, spelled the ways parsers accept, well-formed or not. */
const credentialed = fc
  .record({
    lead: fc.constantFrom('', ' ', '\t'),
    // '' is scheme-less: in `user:password@host` a URL parser reads the user name as the scheme.
    scheme: fc.constantFrom('ws://', 'wss://', 'WSS://', 'ws:/', 'ws:', 'https://', 'ftp://', ''),
    user: secret('usr'),
    password: secret('pwd'),
    noise: fc.constantFrom('', '@', '%40', ':', '!$&'),
    host: fc.constantFrom('feed.example', '127.0.0.1', '[::1]', 'feed.example:8443', ''),
    path: fc.constantFrom('', '/', '/live', '/a/b'),
    token: secret('tok'),
    fragment: secret('frg'),
    withPassword: fc.boolean(),
  })
  .map((u) => ({
    url: `${u.lead}${u.scheme}${u.user}${u.withPassword ? `:${u.password}${u.noise}` : ''}@${u.host}${u.path}?token=${u.token}#${u.fragment}`,
    secrets: [u.user, u.password, u.token, u.fragment],
  }));

/** Every text an error offers: message, String(), stack head, cause chain. */
function textsOf(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 3) return [String(error)];
  return [error.message, String(error), ...textsOf((error as { cause?: unknown }).cause, depth + 1)];
}

describe('secrets in a URL', () => {
  it('are all left out by redactUrl: user name, password, query and fragment', () => {
    fc.assert(
      fc.property(credentialed, ({ url, secrets }) => {
        const redacted = redactUrl(url);
        for (const s of secrets) expect(redacted).not.toContain(s);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reach no error the socket reports, whether the connection is refused or dropped or the constructor throws', () => {
    fc.assert(
      fc.property(credentialed, fc.constantFrom('refuse', 'throw', 'drop'), ({ url, secrets }, how) => {
        new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, flush }) => {
          const server = createWebSocketDouble<string, string>();
          const throwing = class {
            constructor(target: string) {
              throw new TypeError(`cannot connect to ${target}`);
            }
          };
          server.script(
            how === 'refuse'
              ? cold('-r', { r: { refuse: { status: 401, message: 'Unexpected server response: 401' } } })
              : cold('-o-x', { o: 'open', x: 'drop' }),
          );
          const socket = fromWebSocket<string, string>(url, {
            WebSocketCtor:
              how === 'throw' ? (throwing as unknown as typeof server.WebSocketCtor) : server.WebSocketCtor,
            reconnect: { maxAttempts: 0 },
          });
          const reported: unknown[] = [];
          socket.error$.subscribe((error: RxWebSocketError) => reported.push(error));
          socket.message$.subscribe({ error: (error: unknown) => reported.push(error) });
          flush();
          // Something was reported: the URL refused, the connection refused or dropped, the constructor's throw.
          expect(reported.length).toBeGreaterThan(0);
          const texts = reported.flatMap((error) => textsOf(error));
          for (const text of texts) for (const s of secrets) expect(text).not.toContain(s);
        });
      }),
      { numRuns: 300 },
    );
  });
});
