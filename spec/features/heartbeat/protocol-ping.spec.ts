import { TestScheduler } from 'rxjs/testing';
import type { Traffic } from '../../../lib/core/heartbeat-contract';
import type { WebSocketLike } from '../../../lib/core/web-socket-like';
import { resolveHeartbeat, watchHeartbeat } from '../../../lib/features/heartbeat/heartbeat';

// Protocol pings (ping frames) are used only on a socket that has all of ws's ping(), on() and off(), and only when the
// application gave no ping message of its own.

type Member = 'ping' | 'on' | 'off';

/** A socket with the given members of ws's ping API; records what it sends and the ping frames asked for. */
function socketWith(members: readonly Member[]) {
  const sent: unknown[] = [];
  let frames = 0;
  let listened = 0;
  const api: Record<Member, (...args: unknown[]) => unknown> = {
    ping: () => frames++,
    on: () => listened++,
    off: () => undefined,
  };
  const socket = {
    url: 'ws://x/',
    protocol: '',
    extensions: '',
    readyState: 1,
    bufferedAmount: 0,
    binaryType: 'arraybuffer',
    send: (data: unknown) => void sent.push(data),
    close: () => undefined,
    ...Object.fromEntries(members.map((member) => [member, api[member]])),
  };
  return { socket: socket as unknown as WebSocketLike, sent, frames: () => frames, listened: () => listened };
}

/** Runs a heartbeat (100 ms interval, 30 ms timeout) on `socket` for 250 ms of silence; returns what it reported. */
function silence(socket: WebSocketLike, ping?: string): unknown[] {
  const reported: unknown[] = [];
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ expectObservable }) => {
    const traffic: Traffic = { count: 0, at: 0 };
    const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ...(ping !== undefined && { ping }) });
    const beat = watchHeartbeat(
      socket,
      options,
      traffic,
      () => traffic.count++,
      () => undefined,
    );
    // Pinged at 100, nothing came back: dead at 130.
    expectObservable(beat, '^ 250ms !').toBe('130ms a', { a: undefined });
  });
  return reported;
}

describe('the heartbeat on a socket', () => {
  it('with ping frames but a ping message of its own sends the message, not a frame', () => {
    const fake = socketWith(['ping', 'on', 'off']);
    expect(silence(fake.socket, 'app-ping')).toEqual([]);
    expect(fake.sent).toEqual(['app-ping']);
    expect(fake.frames()).toBe(0);
    expect(fake.listened()).toBe(0);
  });

  it('with ping frames and no ping message sends a frame', () => {
    const fake = socketWith(['ping', 'on', 'off']);
    expect(silence(fake.socket)).toEqual([]);
    expect(fake.frames()).toBe(1);
    expect(fake.sent).toEqual([]);
  });

  it.each<[string, Member[]]>([
    ['ping() and on() but no off()', ['ping', 'on']],
    ['ping() and off() but no on()', ['ping', 'off']],
    ['on() and off() but no ping()', ['on', 'off']],
    ['only off()', ['off']],
  ])('with %s is not taken for ws: no frame, and silence alone is watched', (_what, members) => {
    const fake = socketWith(members);
    expect(silence(fake.socket)).toEqual([]);
    expect(fake.frames()).toBe(0);
    expect(fake.listened()).toBe(0);
    expect(fake.sent).toEqual([]);
  });
});
