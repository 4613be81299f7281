/**
 * Subscribing, `connect()`, `close()`, `reconnect()`, unsubscribing and subscribing to state$ from inside the
 * callbacks of every stream (each state of state$, open$, close$, error$, message$'s next, complete and error), while
 * the connection is stopped by its last unsubscribe, by `close()`, or by the server (1000, 4000, or 1001 which is
 * retried). Invariants:
 * - a subscription or `connect()` taken from a callback at or after the end of a session (state$ 'closed', close$,
 *   message$'s complete or error) holds a connection: it sees an open, unless a `close()` came after it;
 * - every state$ subscriber sees each state once, and all of them end on the same, current state;
 * - nothing escapes, nothing is left after the last unsubscribe (harness).
 */
import fc from 'fast-check';
import { Subscription } from 'rxjs';
import { constantBackoff, fromWebSocket, type ConnectionState, type ReactiveWebSocket } from '../../../lib/index';
import { checkReported, describe, fuzz, window } from './fuzz-harness';

const TRIGGERS = [
  'state$ connecting',
  'state$ open',
  'state$ closing',
  'state$ reconnecting',
  'state$ closed',
  'open$',
  'close$',
  'error$',
  'message$ next',
  'message$ complete',
  'message$ error',
] as const;
type Trigger = (typeof TRIGGERS)[number];
/** Where a session has ended: a hold taken here must start a new one. */
const AFTER_THE_END: readonly Trigger[] = ['state$ closed', 'close$', 'message$ complete', 'message$ error'];

const ACTIONS = [
  'subscribe to message$',
  'connect()',
  // A data stream: it holds the connection (open$ only observes).
  'subscribe to messageEvent$',
  'close()',
  'reconnect()',
  'unsubscribe the first holder',
  'subscribe to state$',
] as const;
type Action = (typeof ACTIONS)[number];

const reentryCase = fc.record({
  stop: fc.constantFrom(
    'last unsubscribe',
    'close()',
    'server closes 1000',
    'server closes 4000',
    'server closes 1001',
  ),
  reactions: fc.array(fc.record({ on: fc.constantFrom(...TRIGGERS), action: fc.constantFrom(...ACTIONS) }), {
    minLength: 1,
    maxLength: 3,
  }),
});
type ReentryCase = typeof reentryCase extends fc.Arbitrary<infer T> ? T : never;

/** A holder taken from a callback, with the states a state$ subscriber made just before it saw from then on. */
interface Hold {
  readonly trigger: Trigger;
  readonly action: Action;
  readonly subscription: Subscription;
  readonly states: ConnectionState[];
  /** How many `close()` calls there had been when it was taken. */
  readonly closesBefore: number;
  ended: boolean;
}

fuzz('reentry', reentryCase, async (input: ReentryCase, context) => {
  const { server } = context;
  server.onConnection = (connection) => {
    connection.socket.send('hello');
    const code = { 'server closes 1000': 1000, 'server closes 4000': 4000, 'server closes 1001': 1001 }[
      input.stop as string
    ];
    // Only the first connection is closed by the server: what reconnects afterwards stays up.
    if (code !== undefined && connection.index === 0) setTimeout(() => connection.socket.close(code), 20);
  };
  const socket: ReactiveWebSocket<unknown, string> = fromWebSocket<unknown, string>(server.url, {
    reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
  });
  const all = new Subscription();
  const errors: unknown[] = [];
  const observers: ConnectionState[][] = [];
  const holds: Hold[] = [];
  let closes = 0;
  const close = (): void => {
    closes++;
    try {
      socket.close();
    } catch (error) {
      context.violate('close() throws nothing when nothing is queued', describe(error));
    }
  };
  const observe = (): ConnectionState[] => {
    const states: ConnectionState[] = [];
    observers.push(states);
    all.add(socket.state$.subscribe((state) => states.push(state)));
    return states;
  };
  const fired = new Set<number>();
  const holder = { first: undefined as Subscription | undefined };

  const react = (trigger: Trigger): void => {
    for (const [i, { on, action }] of input.reactions.entries()) {
      if (on !== trigger || fired.has(i)) continue;
      fired.add(i);
      if (action === 'close()') close();
      else if (action === 'reconnect()') socket.reconnect();
      else if (action === 'unsubscribe the first holder') holder.first?.unsubscribe();
      else if (action === 'subscribe to state$') observe();
      else {
        const states = observe();
        const hold: Hold = {
          trigger,
          action,
          states,
          closesBefore: closes,
          ended: false,
          subscription: new Subscription(),
        };
        holds.push(hold);
        const done = (): void => {
          hold.ended = true;
        };
        hold.subscription.add(
          action === 'connect()'
            ? socket.connect()
            : action === 'subscribe to messageEvent$'
              ? socket.messageEvent$.subscribe({ error: done, complete: done })
              : socket.message$.subscribe({ error: done, complete: done }),
        );
        if (action === 'connect()') hold.subscription.add(socket.state$.subscribe(() => undefined));
        all.add(hold.subscription);
      }
    }
  };

  const monitor = observe();
  all.add(socket.error$.subscribe((error) => (errors.push(error), react('error$'))));
  all.add(
    socket.state$.subscribe((state) => {
      react(`state$ ${state.status}` as Trigger);
      server.changes.notify();
    }),
  );
  all.add(socket.open$.subscribe(() => react('open$')));
  all.add(socket.close$.subscribe(() => react('close$')));
  const first = (holder.first = socket.message$.subscribe({
    next: () => react('message$ next'),
    complete: () => react('message$ complete'),
    error: () => react('message$ error'),
  }));
  all.add(first);

  await server.changes
    .until(() => monitor.some((s) => s.status === 'open'), 2_000, 'the first open')
    .catch(() => undefined);
  if (input.stop === 'last unsubscribe') first.unsubscribe();
  else if (input.stop === 'close()') close();
  // Let the stop, the reactions and any new session play out; then every hold must be open.
  await window(60);
  const live = (hold: Hold): boolean =>
    !hold.ended && closes === hold.closesBefore && AFTER_THE_END.includes(hold.trigger);
  await server.changes
    .until(() => holds.filter(live).every((h) => h.states.at(-1)?.status === 'open'), 1_000, 'the holds to open')
    .catch(() => undefined);
  for (const hold of holds) {
    if (!AFTER_THE_END.includes(hold.trigger) || closes !== hold.closesBefore) continue;
    const sawOpen = hold.states.some((state, i) => state.status === 'open' && (i > 0 || hold.states.length === 1));
    if (hold.ended && !sawOpen)
      context.violate(
        'a subscription taken at the end of a session starts a new one',
        `"${hold.action}" from ${hold.trigger} ended without an open; its state$ saw ${statuses(hold.states)}`,
      );
    else if (!hold.ended && hold.states.at(-1)?.status !== 'open')
      context.violate(
        'a subscription taken at the end of a session starts a new one',
        `"${hold.action}" from ${hold.trigger} is held but the socket is ${statuses(hold.states)}`,
      );
  }
  all.unsubscribe();

  checkReported(context, 'error$', errors, []);
  for (const [n, states] of observers.entries()) {
    const seen = new Set<ConnectionState>();
    for (const state of states) {
      if (seen.has(state)) {
        context.violate(
          'a state$ subscriber sees each state once',
          `subscriber ${n} saw ${state.status} twice: ${statuses(states)}`,
        );
        break;
      }
      seen.add(state);
    }
  }
});

function statuses(states: readonly ConnectionState[]): string {
  return states.map((s) => s.status).join(' → ') || '(nothing)';
}
