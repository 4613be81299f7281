import { asyncScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { heartbeat, resolveHeartbeat } from '../../../lib/features/heartbeat/heartbeat';
import { InvalidOptionError } from '../../../lib/core/errors';
import type { WebSocketLike } from '../../../lib/core/web-socket-like';

function fakeSocket(withProtocolPing: boolean) {
  const sent: unknown[] = [];
  const listeners = new Map<string, Set<() => void>>();
  let pings = 0;
  const socket = {
    url: 'ws://x/',
    protocol: '',
    extensions: '',
    readyState: 1,
    bufferedAmount: 0,
    binaryType: 'arraybuffer',
    send: (data: unknown) => sent.push(data),
    close: () => undefined,
    ...(withProtocolPing && {
      ping: () => pings++,
      on: (event: string, listener: () => void) =>
        listeners.set(event, (listeners.get(event) ?? new Set()).add(listener)),
      off: (event: string, listener: () => void) => listeners.get(event)?.delete(listener),
    }),
  };
  return {
    socket: socket as unknown as WebSocketLike,
    sent,
    pings: () => pings,
    pong: () => listeners.get('pong')?.forEach((l) => l()),
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
}

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('heartbeat', () => {
  describe('on a silent connection', () => {
    it('pings after intervalMs of silence and reports death timeoutMs later', () => {
      newScheduler().run(({ expectObservable }) => {
        const fake = fakeSocket(false);
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ping: 'ping' })!;
        expectObservable(
          heartbeat(
            fake.socket,
            options,
            () => 0,
            () => undefined,
          ),
        ).toBe('130ms a', { a: undefined });
      });
    });
  });

  describe('on a connection with traffic', () => {
    it('waits intervalMs after the last message before pinging, and traffic after a ping keeps it alive', () => {
      newScheduler().run(({ expectObservable, cold, flush }) => {
        const fake = fakeSocket(false);
        let last = 0;
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ping: () => 'ping' })!;
        // Traffic at 60 ms and at 170 ms (answering the ping sent at 160 ms).
        cold('60ms a 109ms b').subscribe(() => (last = asyncScheduler.now()));
        const beat = heartbeat(
          fake.socket,
          options,
          () => last,
          () => undefined,
        );
        // Silent after 170: the next ping goes at 270 and the connection is dead at 300.
        expectObservable(beat).toBe('300ms a', { a: undefined });
        flush();
        expect(fake.sent).toEqual(['ping', 'ping']);
      });
    });
  });

  describe('where the socket has protocol pings', () => {
    it('sends ping frames, counts pongs as traffic, and removes its listeners when unsubscribed', () => {
      newScheduler().run(({ expectObservable, cold, flush }) => {
        const fake = fakeSocket(true);
        let last = 0;
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30 })!;
        const beat = heartbeat(
          fake.socket,
          options,
          () => last,
          () => (last = asyncScheduler.now()),
        );
        cold('110ms p').subscribe(() => fake.pong());
        // Ping at 100, pong at 110; ping at 210, no pong: dead at 240.
        expectObservable(beat, '^ 250ms !').toBe('240ms a', { a: undefined });
        flush();
        expect(fake.pings()).toBe(2);
        expect(fake.sent).toEqual([]);
        expect(fake.listenerCount()).toBe(0);
      });
    });
  });

  it('rejects bad timings with InvalidOptionError', () => {
    expect(() => resolveHeartbeat({ intervalMs: 0 })).toThrow(InvalidOptionError);
    expect(() => resolveHeartbeat({ timeoutMs: NaN })).toThrow(/heartbeat.timeoutMs/);
    expect(() => resolveHeartbeat({ intervalMs: Infinity })).toThrow(InvalidOptionError);
    expect(resolveHeartbeat(undefined)).toBeUndefined();
  });

  it('rejects timings longer than timers honour, which would fire at once and drop a healthy connection', () => {
    expect(() => resolveHeartbeat({ timeoutMs: 2 ** 31 })).toThrow(/heartbeat\.timeoutMs.*2147483647/);
    expect(() => resolveHeartbeat({ intervalMs: 2 ** 31 })).toThrow(/heartbeat\.intervalMs/);
    expect(resolveHeartbeat({ intervalMs: 2 ** 31 - 1, timeoutMs: 2 ** 31 - 1 })).toMatchObject({
      intervalMs: 2 ** 31 - 1,
      timeoutMs: 2 ** 31 - 1,
    });
  });
});
