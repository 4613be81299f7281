/**
 * Time, from two sides.
 * - Delay options at and beyond the longest delay a timer honours (2^31 − 1 ms): lingerMs, connectTimeoutMs,
 *   resetAfterMs, heartbeat.intervalMs and heartbeat.timeoutMs. Each is either refused (InvalidOptionError) or
 *   honoured: nothing it delays happens within the observation window (a timer given more than 2^31 − 1 ms fires
 *   after about 1 ms).
 * - The wall clock jumping (an NTP step, a laptop waking up) back or forth by up to a day while a heartbeat runs:
 *   a server that answers is never declared dead, and one that stays silent is, within interval + timeout.
 */
import fc from 'fast-check';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Subscription } from 'rxjs';
import {
  ConnectionTimeoutError,
  constantBackoff,
  fromWebSocket,
  heartbeat,
  HeartbeatTimeoutError,
  InvalidOptionError,
  MAX_TIMER_DELAY_MS,
  type WebSocketOptions,
} from '../../../lib/index';
import { checkReported, describe, fuzz, window, type CaseContext } from './fuzz-harness';

/** How long something delayed by at least 2^31 − 1 ms must not happen. */
const WINDOW_MS = 300;

const DELAY_OPTIONS = [
  'lingerMs',
  'reconnect.connectTimeoutMs',
  'reconnect.resetAfterMs',
  'heartbeat.intervalMs',
  'heartbeat.timeoutMs',
] as const;
type DelayOption = (typeof DELAY_OPTIONS)[number];

const longDelay = fc.oneof(
  fc.constantFrom(MAX_TIMER_DELAY_MS, 2 ** 31, 2 ** 31 + 1, 2 ** 32, 2 ** 32 + 1, 2 ** 32 + 5, 1e12, 2 ** 53 - 1),
  fc.integer({ min: 2 ** 31, max: 2 ** 40 }),
  fc.double({ min: 2 ** 31, max: 1e15, noNaN: true }),
);

const timersCase = fc.oneof(
  fc.record({ kind: fc.constant('delay' as const), option: fc.constantFrom(...DELAY_OPTIONS), value: longDelay }),
  fc.record({
    kind: fc.constant('clock' as const),
    server: fc.constantFrom('answers', 'silent'),
    jumps: fc.array(
      fc.record({
        atMs: fc.integer({ min: 0, max: 400 }),
        byMs: fc.oneof(fc.integer({ min: -86_400_000, max: -1_000 }), fc.integer({ min: 1_000, max: 86_400_000 })),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);
type TimersCase = typeof timersCase extends fc.Arbitrary<infer T> ? T : never;

fuzz('timers', timersCase, async (input: TimersCase, context) => {
  if (input.kind === 'delay') await delay(input.option, input.value, context);
  else await clock(input.server, input.jumps, context);
});

function withOption(option: DelayOption, value: number): WebSocketOptions<unknown, string> {
  const [group, name] = option.split('.') as [string, string | undefined];
  if (name === undefined) return { [group]: value, reconnect: false };
  if (group === 'reconnect') return { reconnect: { backoff: constantBackoff({ delayMs: 10 }), [name]: value } };
  return {
    reconnect: false,
    heartbeat: heartbeat(name === 'timeoutMs' ? { intervalMs: 30, ping: 'ping', [name]: value } : { [name]: value }),
  };
}

async function delay(option: DelayOption, value: number, context: CaseContext): Promise<void> {
  const { server } = context;
  let socket;
  try {
    socket = fromWebSocket<unknown, string>(server.url, withOption(option, value));
  } catch (error) {
    // Refusing a delay no timer can honour is a correct answer.
    if (!(error instanceof InvalidOptionError))
      context.violate('a delay option is honoured or refused with InvalidOptionError', describe(error));
    return;
  }
  const errors: unknown[] = [];
  const attempts: number[] = [];
  const all = new Subscription();
  all.add(socket.error$.subscribe((error) => errors.push(error)));
  all.add(
    socket.state$.subscribe((state) => {
      if (state.status === 'reconnecting') attempts.push(state.attempt);
      server.changes.notify();
    }),
  );
  const early = (what: string): void =>
    context.violate(`a delay option beyond 2^31 - 1 ms is honoured (or refused)`, `${option} = ${value}: ${what}`);

  if (option === 'reconnect.connectTimeoutMs') {
    // A listener that accepts and never answers the handshake.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => void sockets.add(s));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const stalled = fromWebSocket(
      `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      withOption(option, value),
    );
    all.add(stalled.error$.subscribe((error) => errors.push(error)));
    all.add(stalled.connect());
    await window(WINDOW_MS);
    if (errors.some((e) => e instanceof ConnectionTimeoutError))
      early(`the connect timeout fired within ${WINDOW_MS} ms`);
    all.unsubscribe();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
    checkReported(context, 'error$', errors, []);
    return;
  }

  if (option === 'reconnect.resetAfterMs') {
    // Two connections in a row dropped by the server: the second drop is attempt 2, unless the count was reset.
    server.onConnection = (connection) => {
      if (connection.index < 2) setTimeout(() => connection.socket.close(1001), connection.index === 0 ? 20 : 150);
    };
  }
  all.add(socket.connect());
  await server.changes.until(() => server.connections.length > 0, 2_000, 'a connection').catch(() => undefined);
  if (option === 'lingerMs') {
    await server.changes.until(() => socket.readyState === 1, 2_000, 'the open').catch(() => undefined);
    all.unsubscribe();
    await window(WINDOW_MS);
    if (server.open() === 0) early(`the socket lingering after its last unsubscribe closed within ${WINDOW_MS} ms`);
    // It lingers for ever, as asked: close it.
    socket.close();
  } else if (option === 'reconnect.resetAfterMs') {
    await server.changes.until(() => attempts.length >= 2, 2_000, 'two reconnections').catch(() => undefined);
    if (attempts.length >= 2 && attempts[1] !== 2)
      early(`the attempt count was reset (attempts ${attempts.join(', ')})`);
  } else {
    await window(WINDOW_MS);
    const pings = server.connections.reduce((sum, c) => sum + c.pings + c.received.length, 0);
    if (option === 'heartbeat.intervalMs' && pings > 0) early(`${pings} ping(s) were sent within ${WINDOW_MS} ms`);
    if (errors.some((e) => e instanceof HeartbeatTimeoutError)) early(`the heartbeat timed out within ${WINDOW_MS} ms`);
  }
  all.unsubscribe();
  checkReported(context, 'error$', errors, []);
}

async function clock(
  mode: 'answers' | 'silent',
  jumps: readonly { atMs: number; byMs: number }[],
  context: CaseContext,
): Promise<void> {
  const { server } = context;
  const intervalMs = 50;
  const timeoutMs = 100;
  if (mode === 'answers')
    server.onMessage = (connection, data) => {
      if (data.toString() === 'ping') connection.socket.send('pong');
    };
  const realNow = Date.now;
  let offset = 0;
  Date.now = () => realNow() + offset;
  const timers: NodeJS.Timeout[] = [];
  try {
    const socket = fromWebSocket<unknown, string>(server.url, {
      reconnect: false,
      heartbeat: heartbeat({ intervalMs, timeoutMs, ping: 'ping', isPong: (data) => data === 'pong' }),
    });
    const errors: unknown[] = [];
    const all = new Subscription();
    all.add(socket.error$.subscribe((error) => (errors.push(error), server.changes.notify())));
    all.add(socket.connect());
    await server.changes.until(() => server.connections.length > 0, 2_000, 'a connection').catch(() => undefined);
    for (const { atMs, byMs } of jumps) timers.push(setTimeout(() => (offset += byMs), atMs));
    const timedOut = (): boolean => errors.some((e) => e instanceof HeartbeatTimeoutError);
    if (mode === 'answers') {
      await window(500);
      if (timedOut())
        context.violate(
          'a heartbeat never declares a server that answers dead, whatever the wall clock does',
          `HeartbeatTimeoutError with the clock moved by ${jumps.map((j) => j.byMs).join(', ')} ms`,
        );
    } else {
      // Interval and timeout, after the last jump, with room for a loaded machine.
      const boundMs = Math.max(...jumps.map((j) => j.atMs)) + intervalMs + timeoutMs + 400;
      await server.changes.until(timedOut, boundMs, 'the heartbeat timeout').catch(() => undefined);
      if (!timedOut())
        context.violate(
          'a heartbeat declares a silent server dead within interval + timeout, whatever the wall clock does',
          `no HeartbeatTimeoutError within ${boundMs} ms with the clock moved by ${jumps.map((j) => j.byMs).join(', ')} ms`,
        );
    }
    all.unsubscribe();
    checkReported(context, 'error$', errors, []);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    Date.now = realNow;
  }
}
