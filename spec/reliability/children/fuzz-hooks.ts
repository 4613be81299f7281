/**
 * Random application callbacks that throw anything (Errors, strings, undefined, objects with throwing getters, proxies)
 * at every hook the library calls: serializer, deserializer, the URL and protocols providers (sync, Promise,
 * Observable), shouldReconnect, backoff, heartbeat ping and isPong, and multiplex subscribeMsg, unsubscribeMsg and
 * filter; against a server that answers pings and channel subscriptions and drops connections (1001) so that the
 * reconnection hooks run too. Each case is checked for:
 * - no uncaught exception or unhandled rejection (harness);
 * - error$, message$, messageEvent$ and every channel carry only RxWebSocketError instances, with no thrown text;
 * - every throw is reported: some reported error has the thrown value as its cause;
 * - the deserializer gets a whole message event, and messageEvent$ gets every message it was called for;
 * - no state$ subscriber sees a state twice;
 * - nothing is left once everything is unsubscribed (harness).
 */
import fc from 'fast-check';
import { of, Subscription, throwError, type Observable } from 'rxjs';
import {
  defaultCloseCodePolicy,
  fromWebSocket,
  heartbeat,
  multiplex,
  type ConnectionState,
  type WebSocketMessageEvent,
  type WebSocketOptions,
  type WebSocketPayload,
} from '../../../lib/index';
import {
  checkReported,
  describe,
  fuzz,
  isReported,
  schedule,
  SECRET,
  thrownKind,
  Throws,
  throwsOn,
  window,
  type Schedule,
  type ThrownKind,
} from './fuzz-harness';

const HOOKS = [
  'serializer',
  'deserializer',
  'url',
  'protocols',
  'shouldReconnect',
  'backoff',
  'heartbeat.ping',
  'heartbeat.isPong',
  'multiplex.subscribeMsg',
  'multiplex.unsubscribeMsg',
  'multiplex.filter',
] as const;
type Hook = (typeof HOOKS)[number];

type ProviderShape = 'sync' | 'promise' | 'observable';

const URL_SECRET = 'urltok-93bd';

const hooksCase = fc.record({
  thrown: thrownKind(),
  throwing: fc.record(
    Object.fromEntries(HOOKS.map((hook) => [hook, schedule()])) as Record<Hook, fc.Arbitrary<Schedule>>,
  ),
  url: fc.constantFrom<'plain' | ProviderShape>('plain', 'sync', 'promise', 'observable'),
  protocols: fc.constantFrom<'none' | ProviderShape>('none', 'sync', 'promise', 'observable'),
  heartbeat: fc.boolean(),
  decodeErrors: fc.constantFrom<'report' | 'fatal'>('report', 'fatal'),
  serverSends: fc.array(fc.constantFrom('a', 'pong', `{"x":"${SECRET}"}`, 'c0', 'c1'), { maxLength: 4 }),
  drops: fc.integer({ min: 0, max: 2 }),
  sends: fc.integer({ min: 0, max: 4 }),
  channels: fc.integer({ min: 0, max: 2 }),
  /** Channel messages as ArrayBuffers (keyed by default, which must tell them apart) or strings. */
  binaryChannels: fc.boolean(),
});
type HooksCase = typeof hooksCase extends fc.Arbitrary<infer T> ? T : never;

/** A provider of `value` in `shape` that fails (throws, rejects, errors) on the calls `when` says. */
function provider<T>(
  throws: Throws,
  hook: Hook,
  shape: ProviderShape,
  when: Schedule,
  kind: ThrownKind,
  value: T,
): () => T | Promise<T> | Observable<T> {
  if (shape === 'sync') return throws.wrap(hook, when, kind, () => value);
  let calls = 0;
  return () => {
    calls++;
    const fails = throwsOn(when, calls);
    // An application's provider may reject with anything, not only Errors.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (shape === 'promise') return fails ? Promise.reject(throws.thrown(hook, kind)) : Promise.resolve(value);
    return fails ? throwError(() => throws.thrown(hook, kind)) : of(value);
  };
}

fuzz('hooks', hooksCase, async (input: HooksCase, context) => {
  const { server } = context;
  const { throwing, thrown } = input;
  const throws = new Throws();
  const hook = <A extends unknown[], R>(name: Hook, fn: (...args: A) => R): ((...args: A) => R) =>
    throws.wrap(name, throwing[name], thrown, fn);

  server.onConnection = (connection) => {
    for (const text of input.serverSends) connection.socket.send(text);
    if (connection.index < input.drops) connection.socket.close(1001, 'going away');
  };
  server.onMessage = (connection, data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    if (text === 'ping') connection.socket.send('pong');
    const channel = /^sub:(\d)$/.exec(text);
    if (channel) connection.socket.send(`c${channel[1]}`);
  };

  const url = `${server.url}/feed?token=${URL_SECRET}`;
  const urlSource = input.url === 'plain' ? url : provider(throws, 'url', input.url, throwing.url, thrown, url);
  const protocols =
    input.protocols === 'none'
      ? undefined
      : provider(throws, 'protocols', input.protocols, throwing.protocols, thrown, 'fuzz.v1');
  let incompleteEvents = 0;
  const options: WebSocketOptions<unknown, string> = {
    serializer: hook('serializer', (value: string): WebSocketPayload => value),
    deserializer: hook('deserializer', (event: WebSocketMessageEvent) => {
      if (!('origin' in event && 'lastEventId' in event && 'ports' in event && 'source' in event)) incompleteEvents++;
      return event.data;
    }),
    decodeErrors: input.decodeErrors,
    reconnect: {
      shouldReconnect: hook('shouldReconnect', defaultCloseCodePolicy),
      backoff: hook('backoff', () => 10),
      maxAttempts: 4,
      connectTimeoutMs: 2_000,
    },
    ...(input.heartbeat && {
      heartbeat: heartbeat({
        intervalMs: 40,
        timeoutMs: 1_000,
        ping: hook('heartbeat.ping', () => 'ping'),
        isPong: hook('heartbeat.isPong', (data: unknown) => data === 'pong'),
      }),
    }),
  };
  const socket = fromWebSocket<unknown, string>(urlSource, protocols, options);

  const errors: unknown[] = [];
  const streamErrors: { where: string; error: unknown }[] = [];
  const states: ConnectionState[] = [];
  let ended = false;
  let deliveredEvents = 0;
  const held = new Subscription();
  const observers = new Subscription();
  observers.add(socket.error$.subscribe((error) => errors.push(error)));
  let opens = 0;
  observers.add(socket.state$.subscribe((state) => states.push(state)));
  observers.add(socket.open$.subscribe(() => opens++));
  held.add(
    socket.message$.subscribe({
      error: (error: unknown) => {
        streamErrors.push({ where: 'message$', error });
        ended = true;
        server.changes.notify();
      },
      complete: () => {
        ended = true;
        server.changes.notify();
      },
    }),
  );
  const events = socket.messageEvent$.subscribe({
    next: () => deliveredEvents++,
    error: (error: unknown) => streamErrors.push({ where: 'messageEvent$', error }),
  });
  const channels = new Subscription();
  for (let i = 0; i < input.channels; i++) {
    const encode = (text: string): string =>
      input.binaryChannels ? (new TextEncoder().encode(text).buffer as unknown as string) : text;
    const channel$ = multiplex(
      socket,
      hook('multiplex.subscribeMsg', () => encode(`sub:${i}`)),
      hook('multiplex.unsubscribeMsg', () => encode(`unsub:${i}`)),
      hook('multiplex.filter', (message: unknown) => message === `c${i}`),
    );
    try {
      channels.add(
        channel$.subscribe({ error: (error: unknown) => streamErrors.push({ where: `channel ${i}`, error }) }),
      );
    } catch (error) {
      context.violate('subscribing to a channel never throws', describe(error));
    }
  }
  for (let i = 0; i < input.sends; i++) {
    try {
      socket.send(`s${i}`);
    } catch (error) {
      context.violate('send never throws while error$ is heard', describe(error));
    }
  }

  // Until the stream ends, or the last planned connection has been up a while.
  await server.changes
    .until(() => ended || server.connections.length > input.drops, 2_500, 'the planned connections')
    .catch(() => undefined);
  await window(150);

  // The last unsubscribe: the channels first (their unsubscribe messages), error$ last, to hear everything.
  const deserializerCalls = throws.calls.deserializer ?? 0;
  for (const [what, subscription] of [
    ['messageEvent$', events],
    ['the channels', channels],
    ['message$', held],
    ['error$ and state$', observers],
  ] as const) {
    try {
      subscription.unsubscribe();
    } catch (error) {
      context.violate('unsubscribing never throws', `unsubscribing ${what} threw ${describe(error)}`);
    }
  }

  const reports = [...errors, ...streamErrors.map((s) => s.error)];
  const secrets = [SECRET, URL_SECRET];
  checkReported(context, 'error$', errors, secrets);
  for (const { where, error } of streamErrors) checkReported(context, `${where}'s error`, [error], secrets);
  const unreported = new Set<string>();
  for (const { hook: name, value } of throws.log) if (!isReported(value, reports)) unreported.add(name);
  for (const name of unreported)
    context.violate(
      'every throw of an application callback is reported (error$ or the stream it ends)',
      `${name} threw ${thrown}; not found as the cause of any of ${reports.length} report(s)`,
    );
  // A channel whose subscribe message never threw was subscribed on the server, once the socket had opened.
  const subscribed = new Set(server.connections.flatMap((c) => c.received.map((r) => r.data.toString())));
  if (throwing['multiplex.subscribeMsg'] === 'never' && throws.log.length === 0 && opens > 0)
    for (let i = 0; i < input.channels; i++)
      if (!subscribed.has(`sub:${i}`))
        context.violate(
          'every channel sends its own subscribe message',
          `channel ${i} (${input.binaryChannels ? 'binary' : 'text'} messages, default key) never subscribed`,
        );
  if (incompleteEvents > 0)
    context.violate(
      'the deserializer gets a whole WebSocketMessageEvent',
      `${incompleteEvents} call(s) got an event without origin/lastEventId/source/ports`,
    );
  if (input.decodeErrors === 'report' && deliveredEvents !== deserializerCalls)
    context.violate(
      'messageEvent$ gets every message the deserializer was called for (whether or not it threw)',
      `deserializer called ${deserializerCalls} time(s), messageEvent$ delivered ${deliveredEvents}`,
    );
  const seen = new Set<ConnectionState>();
  for (const state of states) {
    if (seen.has(state)) {
      context.violate('a state$ subscriber sees each state once', `saw ${JSON.stringify(state)} again`);
      break;
    }
    seen.add(state);
  }
});
