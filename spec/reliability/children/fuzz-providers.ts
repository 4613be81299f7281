/**
 * What comes before a socket: the URL and protocols providers, and the WebSocket constructor.
 * - A provider that fails a few times (throws, rejects, errors) with anything, Errors with arbitrary `code` values
 *   included (axios's ERR_BAD_REQUEST, Node's ERR_SOCKET_CLOSED, ECONNRESET): the default policy retries what a
 *   provider throws, whatever its code, so the socket opens in the end; each failure is reported, typed.
 * - A provider that never settles (a Promise that never resolves, NEVER, an Observable that would emit in an hour):
 *   the connect timeout covers the wait, so the attempt fails with a typed error and the next one opens.
 * - A WebSocket constructor that always throws (ws refusing `{ protocolVersion: 7 }`, or any value thrown): retrying
 *   cannot fix it, so the connection stops, with a typed error, instead of retrying for ever.
 */
import fc from 'fast-check';
import { map, NEVER, of, Subscription, throwError, timer, type Observable } from 'rxjs';
import {
  constantBackoff,
  fromWebSocket,
  RxWebSocketError,
  type ConnectionState,
  type WebSocketConstructor,
  type WebSocketOptions,
} from '../../../lib/index';
import { checkReported, describe, fuzz, isReported, makeThrown, THROWN_KINDS, window } from './fuzz-harness';

const codes = fc.oneof(
  fc.constantFrom('ERR_BAD_REQUEST', 'ERR_NETWORK', 'ERR_SOCKET_CLOSED', 'ERR_CALLBACK', 'ECONNRESET', 'ETIMEDOUT'),
  fc.string({ maxLength: 12 }).map((s) => `ERR_${s}`),
  fc.string({ maxLength: 12 }),
);
/** What a provider fails with: anything an application may throw (but not one of this library's errors). */
const failure = fc.oneof(
  fc.constantFrom(...THROWN_KINDS.filter((kind) => kind !== 'one of our own errors')).map((kind) => ({ kind })),
  codes.map((code) => ({ kind: 'Error with a code' as const, code })),
);

const providersCase = fc.oneof(
  fc.record({
    kind: fc.constant('provider fails' as const),
    which: fc.constantFrom('url', 'protocols'),
    shape: fc.constantFrom('sync', 'promise', 'observable'),
    failures: fc.integer({ min: 1, max: 3 }),
    failure,
  }),
  fc.record({
    kind: fc.constant('provider never settles' as const),
    which: fc.constantFrom('url', 'protocols'),
    shape: fc.constantFrom('a Promise that never settles', 'NEVER', 'an Observable that emits in an hour'),
    connectTimeoutMs: fc.integer({ min: 80, max: 250 }),
  }),
  fc.record({
    kind: fc.constant('constructor throws' as const),
    how: fc.oneof(
      fc.constant({ by: 'ws refusing socketOptions { protocolVersion: 7 }' as const }),
      fc.constantFrom(...THROWN_KINDS).map((thrown) => ({ by: 'a WebSocketCtor that throws' as const, thrown })),
    ),
  }),
);
type ProvidersCase = typeof providersCase extends fc.Arbitrary<infer T> ? T : never;

type Provided = string | Promise<string> | Observable<string>;

fuzz('providers', providersCase, async (input: ProvidersCase, context) => {
  const { server } = context;
  const url = server.url;
  const errors: unknown[] = [];
  const states: ConnectionState[] = [];
  let ended: unknown = undefined;
  let failed: unknown[] = [];
  let calls = 0;
  let urlSource: string | (() => Provided) = url;
  let protocols: (() => Provided) | undefined;
  let options: WebSocketOptions<unknown, string> = {
    reconnect: { backoff: constantBackoff({ delayMs: 5 }), connectTimeoutMs: 2_000 },
  };

  if (input.kind === 'provider fails') {
    const value = input.which === 'url' ? url : 'fuzz.v1';
    const provide = (): Provided => {
      if (++calls > input.failures) return input.shape === 'promise' ? Promise.resolve(value) : value;
      const thrown =
        input.failure.kind === 'Error with a code'
          ? Object.assign(new Error('provider failed'), { code: input.failure.code })
          : makeThrown(input.failure.kind);
      failed.push(thrown);
      if (input.shape === 'sync') throw thrown;
      // An application's provider may reject with anything, not only Errors.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return input.shape === 'promise' ? Promise.reject(thrown) : throwError(() => thrown);
    };
    if (input.which === 'url') urlSource = provide;
    else protocols = provide;
  } else if (input.kind === 'provider never settles') {
    const value = input.which === 'url' ? url : 'fuzz.v1';
    const provide = (): Provided => {
      if (++calls > 1) return of(value);
      if (input.shape === 'NEVER') return NEVER;
      if (input.shape === 'an Observable that emits in an hour') return timer(3_600_000).pipe(map(() => value));
      return new Promise<string>(() => undefined);
    };
    if (input.which === 'url') urlSource = provide;
    else protocols = provide;
    options = {
      reconnect: { backoff: constantBackoff({ delayMs: 5 }), connectTimeoutMs: input.connectTimeoutMs },
    };
  } else if (input.how.by === 'ws refusing socketOptions { protocolVersion: 7 }') {
    options = { ...options, socketOptions: { protocolVersion: 7 } };
  } else {
    const { thrown } = input.how;
    const Throwing = function () {
      calls++;
      throw makeThrown(thrown);
    } as unknown as WebSocketConstructor;
    options = { ...options, WebSocketCtor: Throwing };
  }

  const socket = fromWebSocket<unknown, string>(urlSource, protocols, options);
  const all = new Subscription();
  all.add(socket.error$.subscribe((error) => errors.push(error)));
  all.add(socket.state$.subscribe((state) => (states.push(state), server.changes.notify())));
  all.add(
    socket.message$.subscribe({
      error: (error: unknown) => ((ended = error ?? 'undefined'), server.changes.notify()),
      complete: () => ((ended = 'completed'), server.changes.notify()),
    }),
  );
  const opened = (): boolean => states.some((s) => s.status === 'open');

  if (input.kind === 'constructor throws') {
    await server.changes.until(() => ended !== undefined, 1_500, 'the end').catch(() => undefined);
    const attempts = states.filter((s) => s.status === 'connecting').length;
    if (ended === undefined)
      context.violate(
        'a WebSocket constructor that always throws stops the connection instead of retrying for ever',
        `${input.how.by}: still going after 1.5 s and ${attempts} attempts`,
      );
    else if (!(ended instanceof RxWebSocketError))
      context.violate('message$ ends with an RxWebSocketError', `ended with ${describe(ended)}`);
  } else {
    const boundMs = input.kind === 'provider never settles' ? input.connectTimeoutMs + 1_500 : 1_500;
    await server.changes.until(() => opened() || ended !== undefined, boundMs, 'the open').catch(() => undefined);
    if (!opened()) {
      const last = states.at(-1);
      context.violate(
        input.kind === 'provider fails'
          ? 'the default policy retries what a provider throws, whatever its code'
          : 'the connect timeout covers a provider that never settles',
        `${input.which} provider (${input.shape}): ${ended !== undefined ? 'stopped' : `still ${last?.status} after ${boundMs} ms`}` +
          ` after ${calls} call(s)${input.kind === 'provider fails' ? `, failing with ${JSON.stringify(input.failure)}` : ''}`,
      );
    }
    await window(20);
  }
  all.unsubscribe();

  checkReported(context, 'error$', errors, []);
  if (ended instanceof Error || (ended !== undefined && ended !== 'completed'))
    checkReported(context, "message$'s error", [ended], []);
  const unreported = failed.filter((value) => !isReported(value, [...errors, ended]));
  if (unreported.length > 0)
    context.violate(
      'every provider failure is reported with the thrown value as its cause',
      `${unreported.length} of ${failed.length} failure(s) not found as the cause of any report`,
    );
  failed = [];
});
