import { asyncScheduler } from 'rxjs';
import { type TestScheduler } from 'rxjs/testing';
import {
  type CloseInfo,
  type ConnectionState,
  constantBackoff,
  fromWebSocket,
  heartbeat,
  InvalidOptionError,
  type PageEventLike,
  type PageEventSource,
  type PageEventType,
  pageLifecycle,
  type PageLifecycleOptions,
  type WebSocketConstructor,
  type WebSocketOptions,
} from '../../../lib/index';
import { createWebSocketDouble, type WebSocketServerDouble } from '../../../lib/testing/index';
import { newScheduler } from '../../helpers/virtual-time';

// The page lifecycle through fromWebSocket, against the virtual-time double, with the page's events driven by the
// spec: every rule of issue #18's page part, every delay in virtual time.

const FEED_URL = 'wss://feed.example/ws';
/** The backoff between attempts: long, so that "at once" cannot be mistaken for it. */
const BACKOFF_MS = 10_000;
/** When every run closes its socket. */
const END_MS = 300_000;

/** A page whose events the spec fires, counting the listeners the lifecycle keeps on it. */
interface FakePage extends PageEventSource {
  visibilityState: string;
  fire(type: PageEventType, event?: PageEventLike): void;
  hide(): void;
  show(): void;
  listenerCount(): number;
}

function fakePage(): FakePage {
  const listeners = new Map<PageEventType, Set<(event: PageEventLike) => void>>();
  const page: FakePage = {
    visibilityState: 'visible',
    addEventListener: (type, listener) => void listeners.set(type, (listeners.get(type) ?? new Set()).add(listener)),
    removeEventListener: (type, listener) => void listeners.get(type)?.delete(listener),
    fire: (type, event = {}) => {
      for (const listener of [...(listeners.get(type) ?? [])]) listener(event);
    },
    hide: () => {
      page.visibilityState = 'hidden';
      page.fire('visibilitychange');
    },
    show: () => {
      page.visibilityState = 'visible';
      page.fire('visibilitychange');
    },
    listenerCount: () => [...listeners.values()].reduce((count, set) => count + set.size, 0),
  };
  return page;
}

interface Run {
  readonly scheduler: TestScheduler;
  readonly server: WebSocketServerDouble<string, string>;
  readonly socket: ReturnType<typeof fromWebSocket<string, string>>;
  readonly page: FakePage;
  /** Every state, with the virtual time it came at. */
  readonly states: { at: number; state: ConnectionState }[];
  readonly closes: { at: number; close: CloseInfo }[];
  /** Runs `work` at virtual time `time`. */
  at(time: number, work: () => void): void;
}

/**
 * A socket with the page lifecycle (and whatever `options` add) on the double, every connection opening at once, held
 * by one `connect()` from time 0; `work` scripts the page and the server; the run then flushes.
 */
function run(
  lifecycle: PageLifecycleOptions,
  work: (run: Run) => void,
  options: WebSocketOptions<string, string> = {},
  wrap: (ctor: WebSocketConstructor) => WebSocketConstructor = (ctor) => ctor,
): void {
  const scheduler = newScheduler();
  scheduler.run(({ flush }) => {
    const page = fakePage();
    const server = createWebSocketDouble<string, string>({ autoOpen: true });
    const socket = fromWebSocket<string, string>(FEED_URL, {
      WebSocketCtor: wrap(server.WebSocketCtor),
      lifecycle: pageLifecycle({ ...lifecycle, events: page }),
      reconnect: { backoff: constantBackoff({ delayMs: BACKOFF_MS }) },
      ...options,
    });
    const states: Run['states'] = [];
    const closes: Run['closes'] = [];
    socket.state$.subscribe((state) => states.push({ at: scheduler.now(), state }));
    socket.close$.subscribe((close) => closes.push({ at: scheduler.now(), close }));
    socket.error$.subscribe();
    socket.connect();
    work({ scheduler, server, socket, page, states, closes, at: (time, task) => void scheduler.schedule(task, time) });
    // The end of every run: a heartbeat would otherwise keep virtual time going for ever.
    scheduler.schedule(() => socket.close(), END_MS);
    flush();
  });
}

const statusesAfter = (states: Run['states'], from: number): string[] =>
  states.filter(({ at }) => at >= from).map(({ state }) => label(state));

/** A state as a short string: `connecting 0`, `reconnecting 1 10000`, `open`. */
function label(state: ConnectionState): string {
  switch (state.status) {
    case 'connecting':
      return `connecting ${state.attempt}`;
    case 'reconnecting':
      return `reconnecting ${state.attempt} ${state.delayMs}${state.lastClose ? ` ${state.lastClose.code}` : ''}`;
    default:
      return state.status;
  }
}

/**
 * The double's sockets, with each close event fired `delayMs` late (a slow end of the TCP connection): the socket says
 * CLOSING until then.
 */
function slowCloseEvents(ctor: WebSocketConstructor, delayMs: number): WebSocketConstructor {
  type Handler = ((event: unknown) => void) | null;
  return class extends (ctor as unknown as new (url: string) => { onclose: Handler; get readyState(): number }) {
    #fired = false;
    constructor(url: string) {
      super(url);
      let late: Handler = null;
      Object.defineProperty(this, 'onclose', {
        get: () => late,
        set: (handler: Handler) => {
          late =
            handler &&
            ((event) =>
              void asyncScheduler.schedule(() => {
                this.#fired = true;
                handler(event);
              }, delayMs));
        },
      });
    }
    override get readyState(): number {
      return super.readyState === 3 && !this.#fired ? 2 : super.readyState;
    }
  } as unknown as WebSocketConstructor;
}

/**
 * The page is hidden at 50; at 100 the server closes with `code`, and the page is shown once the close frame is read,
 * before its close event fires.
 */
function shownWhileClosing({ server, page, at }: Run, code: number, reason?: string): void {
  at(50, () => page.hide());
  at(100, () => {
    server.latest.close(code, reason);
    server.scheduler.schedule(() => page.show());
  });
}

/** A socket as the spec reaches it: the handlers the connection set on it. */
interface HeldSocket {
  onmessage: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** The double's sockets, each kept in `sockets`, so that the spec can fire on one what `ws` still delivers as it closes. */
function keptIn(sockets: HeldSocket[], ctor: WebSocketConstructor): WebSocketConstructor {
  return class extends (ctor as unknown as new (url: string) => object) {
    constructor(url: string) {
      super(url);
      sockets.push(this as unknown as HeldSocket);
    }
  } as unknown as WebSocketConstructor;
}

/** A platform that loses the close event of the first connection: its socket says CLOSED, and nothing is heard. */
function losesFirstCloseEvent(ctor: WebSocketConstructor): WebSocketConstructor {
  let made = 0;
  return class extends (ctor as unknown as new (url: string) => { onclose: unknown }) {
    constructor(url: string) {
      super(url);
      if (made++ > 0) return;
      Object.defineProperty(this, 'onclose', { get: () => null, set: () => undefined });
    }
  } as unknown as WebSocketConstructor;
}

/** At `time` the server closes with 1012 (a retried code), and the page is hidden as its close frame is read. */
function hiddenAsServerCloses({ server, page, at }: Pick<Run, 'server' | 'page' | 'at'>, time: number): void {
  at(time, () => {
    server.latest.close(1012);
    page.hide();
  });
}

const attemptTimes = (server: WebSocketServerDouble<string, string>): number[] =>
  server.attempts.map((attempt) => attempt.time);

describe('pageLifecycle', () => {
  describe('when the page becomes visible again', () => {
    it('with a heartbeat, pings at once, and drops the connection when the ping goes unanswered', () => {
      run(
        {},
        ({ server, page, at, states }) => {
          at(1_000, () => page.hide());
          at(25_000, () => server.latest.message('tick'));
          at(40_000, () => page.show());
          at(60_000, () => {
            // Pinged at 40 000 (not at 55 000, an interval after the last message), dead at 40 300.
            expect(server.connection(0).sent.map((frame) => frame.time)).toEqual([40_000]);
            expect(attemptTimes(server)).toEqual([0, 50_300]);
            expect(statusesAfter(states, 40_000)).toEqual(['reconnecting 1 10000 1006', 'connecting 1', 'open']);
          });
        },
        { heartbeat: heartbeat({ intervalMs: 30_000, timeoutMs: 300, ping: 'ping' }) },
      );
    });

    it('with a heartbeat, keeps a connection that answers the ping', () => {
      run(
        {},
        ({ server, page, at }) => {
          at(1_000, () => page.hide());
          at(20_000, () => page.show());
          at(20_050, () => server.latest.message('pong'));
          at(20_400, () => {
            expect(server.latest.sent.map((frame) => frame.time)).toEqual([20_000]);
            expect(attemptTimes(server)).toEqual([0]);
          });
        },
        { heartbeat: heartbeat({ intervalMs: 30_000, timeoutMs: 300, ping: 'ping' }) },
      );
    });

    it('reconnects at once, the attempt count reset, when it was waiting out a backoff', () => {
      run({}, ({ server, page, at, states }) => {
        at(100, () => server.latest.drop());
        at(200, () => page.hide());
        at(3_000, () => page.show());
        at(3_100, () => {
          expect(attemptTimes(server)).toEqual([0, 3_000]);
          expect(statusesAfter(states, 100)).toEqual(['reconnecting 1 10000 1006', 'connecting 0', 'open']);
        });
      });
    });

    it("leaves a connection whose server's close frame is being read to its close event: the code is reported and the policy weighs it", () => {
      run(
        {},
        (r) => {
          const { server, at, states, closes } = r;
          // An application code: the default policy does not retry it.
          shownWhileClosing(r, 4000, 'go away');
          at(200, () => {
            expect(closes).toEqual([{ at: 100, close: { code: 4000, reason: 'go away', wasClean: true } }]);
            expect(attemptTimes(server)).toEqual([0]);
            expect(statusesAfter(states, 100)).toEqual(['closed']);
            // The heartbeat's ping went to a socket that discards what it is given.
            expect(server.connection(0).sent).toEqual([]);
          });
        },
        { heartbeat: heartbeat({ intervalMs: 30_000, timeoutMs: 300, ping: 'ping' }) },
      );
    });

    it("and a retried close's backoff is kept", () => {
      run({}, (r) => {
        const { server, at, states, closes } = r;
        shownWhileClosing(r, 1012);
        at(20_000, () => {
          expect(closes.map(({ at, close }) => [at, close.code])).toEqual([[100, 1012]]);
          expect(attemptTimes(server)).toEqual([0, 10_100]);
          expect(statusesAfter(states, 100)).toEqual(['reconnecting 1 10000 1012', 'connecting 1', 'open']);
        });
      });
    });

    it("with a heartbeat, pings no socket that is closing: a slow close event still brings the server's code", () => {
      run(
        {},
        (r) => {
          const { server, at, states, closes } = r;
          shownWhileClosing(r, 4000, 'go away');
          at(5_000, () => {
            expect(server.connection(0).sent).toEqual([]);
            expect(closes).toEqual([{ at: 2_100, close: { code: 4000, reason: 'go away', wasClean: true } }]);
            expect(statusesAfter(states, 100)).toEqual(['closed']);
          });
        },
        { heartbeat: heartbeat({ intervalMs: 30_000, timeoutMs: 300, ping: 'ping' }) },
        (ctor) => slowCloseEvents(ctor, 2_000),
      );
    });

    it('replaces at once a connection whose socket says it is closed when no close event was heard', () => {
      run(
        {},
        ({ server, page, at, states }) => {
          at(50, () => page.hide());
          at(100, () => server.latest.drop());
          at(1_000, () => page.show());
          at(1_001, () => {
            expect(attemptTimes(server)).toEqual([0, 1_000]);
            expect(statusesAfter(states, 1_000)).toEqual(['connecting 0', 'open']);
          });
        },
        {},
        losesFirstCloseEvent,
      );
    });

    it('without a heartbeat, leaves an open connection alone', () => {
      run({}, ({ server, page, at }) => {
        at(100, () => page.hide());
        at(5_000, () => page.show());
        at(6_000, () => {
          expect(attemptTimes(server)).toEqual([0]);
          expect(server.latest.readyState).toBe(1);
        });
      });
    });
  });

  describe('when the page resumes after being frozen', () => {
    it('checks the connection at once', () => {
      run(
        {},
        ({ server, page, at }) => {
          at(1_000, () => page.fire('resume'));
          at(1_001, () => expect(server.latest.sent.map((frame) => frame.time)).toEqual([1_000]));
        },
        { heartbeat: heartbeat({ intervalMs: 30_000, timeoutMs: 300, ping: 'ping' }) },
      );
    });

    it('reconnects at once when it was waiting out a backoff', () => {
      run({}, ({ server, page, at }) => {
        at(100, () => server.latest.drop());
        at(500, () => page.fire('resume'));
        at(600, () => expect(attemptTimes(server)).toEqual([0, 500]));
      });
    });

    it('reconnects at once when the close queued while frozen is delivered after resume', () => {
      run({}, ({ server, page, at, states }) => {
        // The connection dropped while the page was frozen: its close is queued, and the page resumes before it is
        // delivered, the socket still looking open.
        at(500, () => {
          server.latest.drop();
          page.fire('resume');
        });
        at(600, () => {
          expect(attemptTimes(server)).toEqual([0, 500]);
          expect(statusesAfter(states, 500)).toEqual(['reconnecting 1 10000 1006', 'connecting 0', 'open']);
        });
      });
    });
  });

  describe('when the browser is back online', () => {
    it('reconnects at once with the attempt count reset', () => {
      run({}, ({ server, page, at, states }) => {
        at(100, () => server.latest.drop());
        at(700, () => page.fire('online'));
        at(800, () => {
          expect(attemptTimes(server)).toEqual([0, 700]);
          expect(statusesAfter(states, 700)).toEqual(['connecting 0', 'open']);
        });
      });
    });

    it('reconnects at once a hidden page waiting out a backoff, and still closes it once hidden that long', () => {
      run({ hiddenCloseAfterMs: 60_000 }, ({ server, page, at, states }) => {
        at(50, () => page.hide());
        at(100, () => server.latest.drop());
        at(700, () => page.fire('online'));
        at(70_000, () => {
          expect(attemptTimes(server)).toEqual([0, 700]);
          expect(server.connection(1).clientClose).toMatchObject({ code: 1000, reason: 'page hidden', time: 60_050 });
          expect(statusesAfter(states, 700)).toEqual(['connecting 0', 'open', 'reconnecting 0 Infinity 1000']);
        });
      });
    });

    it.each<[string, (page: FakePage) => void]>([
      ['back online', (page) => page.fire('online')],
      ['resumed in the background', (page) => page.fire('resume')],
    ])('keeps a hidden page %s from the close hiddenCloseAfterMs counts down to', (_, event) => {
      run({ hiddenCloseAfterMs: 60_000 }, ({ server, page, at }) => {
        at(1_000, () => page.hide());
        at(5_000, () => event(page));
        at(70_000, () => {
          expect(server.connection(0).clientClose).toMatchObject({ code: 1000, reason: 'page hidden', time: 61_000 });
          expect(attemptTimes(server)).toEqual([0]);
        });
      });
    });

    it.each<[string, (page: FakePage) => void]>([
      ['back online', (page) => page.fire('online')],
      ['resumed in the background', (page) => page.fire('resume')],
    ])('holds closed a page %s while it is still hidden, until it is shown', (_, event) => {
      run({ hiddenCloseAfterMs: 1_000 }, ({ server, page, at, states }) => {
        at(100, () => page.hide());
        at(5_000, () => event(page));
        at(8_000, () => page.show());
        at(8_001, () => {
          expect(attemptTimes(server)).toEqual([0, 8_000]);
          expect(statusesAfter(states, 1_100)).toEqual(['reconnecting 0 Infinity 1000', 'connecting 0', 'open']);
        });
      });
    });
  });

  describe('the back/forward cache', () => {
    it('holds a page cached just after it resumed: the check the resume queued does not undo the hold', () => {
      run({}, ({ server, page, at, states }) => {
        at(1_000, () => {
          page.fire('resume');
          page.fire('pagehide', { persisted: true });
        });
        at(50_000, () => {
          expect(attemptTimes(server)).toEqual([0]);
          expect(statusesAfter(states, 1_000)).toEqual(['reconnecting 0 Infinity']);
        });
      });
    });

    it('lets the socket go as the page enters it (for the browser to close with 1001), and holds the connection closed', () => {
      run({}, ({ server, page, at, states, closes }) => {
        at(100, () => page.fire('pagehide', { persisted: true }));
        at(100_000, () => {
          // A browser socket refuses 1001 from a script: the browser closes it with 1001 itself as it caches the page.
          expect(server.connection(0).clientClose).toBeUndefined();
          expect(attemptTimes(server)).toEqual([0]);
          expect(closes).toEqual([]);
          expect(statusesAfter(states, 100)).toEqual(['reconnecting 0 Infinity']);
        });
      });
    });

    it("closes with 1001 a socket that takes it (as Node's ws does)", () => {
      const calls: unknown[][] = [];
      run(
        {},
        ({ server, page, at, closes, states }) => {
          at(100, () => page.fire('pagehide', { persisted: true }));
          at(200, () => {
            expect(calls).toEqual([[1001, 'page cached']]);
            expect(server.connection(0).clientClose).toMatchObject({ reason: 'page cached' });
            expect(closes.map(({ close }) => close.reason)).toEqual(['page cached']);
            expect(statusesAfter(states, 100)).toEqual(['reconnecting 0 Infinity 1000']);
          });
        },
        {},
        // The double refuses 1001 as a browser does; this one takes it, and closes the double with 1000.
        (ctor) =>
          class extends (ctor as unknown as new (url: string) => { close(code?: number, reason?: string): void }) {
            override close(code?: number, reason?: string): void {
              calls.push([code, reason]);
              super.close(code === 1001 ? 1000 : code, reason);
            }
          } as unknown as WebSocketConstructor,
      );
    });

    it('reconnects at once, the attempt count reset, when the page comes back from it', () => {
      run({}, ({ server, page, at, states }) => {
        at(100, () => server.latest.drop());
        at(200, () => page.fire('pagehide', { persisted: true }));
        at(50_000, () => page.fire('pageshow', { persisted: true }));
        at(50_001, () => {
          expect(attemptTimes(server)).toEqual([0, 50_000]);
          expect(statusesAfter(states, 200)).toEqual(['reconnecting 0 Infinity', 'connecting 0', 'open']);
        });
      });
    });

    it('ignores a pagehide and pageshow that are not about the cache (a page unloading, a first load)', () => {
      run({}, ({ server, page, at, states }) => {
        // Waiting out a backoff, which a page cached would hold and a page back from the cache would cut short.
        at(50, () => server.latest.drop());
        at(100, () => page.fire('pagehide', { persisted: false }));
        at(200, () => page.fire('pageshow', { persisted: false }));
        at(300, () => {
          expect(attemptTimes(server)).toEqual([0]);
          expect(statusesAfter(states, 50)).toEqual([`reconnecting 1 ${BACKOFF_MS} 1006`]);
        });
      });
    });
  });

  describe('with hiddenCloseAfterMs', () => {
    it('closes (1000) a page hidden that long, holds it closed, and reconnects at once when it is visible', () => {
      run({ hiddenCloseAfterMs: 60_000 }, ({ server, page, at, states, closes }) => {
        at(1_000, () => page.hide());
        at(200_000, () => page.show());
        at(200_001, () => {
          expect(server.connection(0).clientClose).toMatchObject({ code: 1000, reason: 'page hidden', time: 61_000 });
          expect(closes).toEqual([{ at: 61_000, close: { code: 1000, reason: 'page hidden', wasClean: true } }]);
          expect(attemptTimes(server)).toEqual([0, 200_000]);
          expect(statusesAfter(states, 1_000)).toEqual(['reconnecting 0 Infinity 1000', 'connecting 0', 'open']);
        });
      });
    });

    it("hidden while the server's close frame is read: the server's code is reported and the policy weighs it", () => {
      run({ hiddenCloseAfterMs: 0 }, ({ server, page, at, states, closes }) => {
        at(100, () => {
          // Not retried by the default policy: the socket stops, and showing the page does not undo that.
          server.latest.close(4000, 'go away');
          page.hide();
        });
        at(5_000, () => page.show());
        at(5_001, () => {
          expect(closes).toEqual([{ at: 100, close: { code: 4000, reason: 'go away', wasClean: true } }]);
          expect(attemptTimes(server)).toEqual([0]);
          expect(statusesAfter(states, 100)).toEqual(['closed']);
        });
      });
    });

    it('and a close the policy retries is held for the page, with that close, until it is visible', () => {
      run({ hiddenCloseAfterMs: 0 }, ({ server, page, at, states, closes }) => {
        hiddenAsServerCloses({ server, page, at }, 100);
        at(50_000, () => page.show());
        at(50_001, () => {
          expect(closes.map(({ at, close }) => [at, close.code])).toEqual([[100, 1012]]);
          expect(attemptTimes(server)).toEqual([0, 50_000]);
          expect(statusesAfter(states, 100)).toEqual([
            'reconnecting 1 10000 1012',
            'reconnecting 0 Infinity 1012',
            'connecting 0',
            'open',
          ]);
        });
      });
    });

    it('held once when the page is hidden, shown, hidden and cached again before that close event', () => {
      run(
        { hiddenCloseAfterMs: 0 },
        ({ server, page, at, states }) => {
          hiddenAsServerCloses({ server, page, at }, 100);
          at(500, () => page.show());
          at(600, () => {
            page.hide();
            page.fire('pagehide', { persisted: true });
          });
          at(20_000, () => {
            expect(attemptTimes(server)).toEqual([0]);
            expect(statusesAfter(states, 100)).toEqual(['reconnecting 1 10000 1012', 'reconnecting 0 Infinity 1012']);
          });
        },
        {},
        (ctor) => slowCloseEvents(ctor, 2_000),
      );
    });

    it('and one back online before that close event, still hidden, is held all the same', () => {
      run(
        { hiddenCloseAfterMs: 0 },
        ({ server, page, at, states }) => {
          hiddenAsServerCloses({ server, page, at }, 100);
          at(500, () => page.fire('online'));
          at(20_000, () => {
            expect(attemptTimes(server)).toEqual([0]);
            expect(statusesAfter(states, 100)).toEqual(['reconnecting 1 10000 1012', 'reconnecting 0 Infinity 1012']);
          });
        },
        {},
        (ctor) => slowCloseEvents(ctor, 2_000),
      );
    });

    it('and one visible again before that close event reconnects by the policy, not held', () => {
      run(
        { hiddenCloseAfterMs: 0 },
        ({ server, page, at, states }) => {
          hiddenAsServerCloses({ server, page, at }, 100);
          at(500, () => page.show());
          at(20_000, () => {
            expect(attemptTimes(server)).toEqual([0, 12_100]);
            expect(statusesAfter(states, 100)).toEqual(['reconnecting 1 10000 1012', 'connecting 1', 'open']);
          });
        },
        {},
        (ctor) => slowCloseEvents(ctor, 2_000),
      );
    });

    it("and a reconnect() the application makes from that close's report is kept, not held", () => {
      run(
        { hiddenCloseAfterMs: 0 },
        ({ server, page, at, socket, states }) => {
          socket.close$.subscribe(() => socket.reconnect());
          hiddenAsServerCloses({ server, page, at }, 100);
          at(20_000, () => {
            expect(attemptTimes(server)).toEqual([0, 2_100]);
            expect(statusesAfter(states, 100)).toEqual(['connecting 0', 'open']);
          });
        },
        {},
        (ctor) => slowCloseEvents(ctor, 2_000),
      );
    });

    it('held once when the page is cached after its close: a second hold is not announced', () => {
      run({ hiddenCloseAfterMs: 1_000 }, ({ server, page, at, states }) => {
        at(100, () => page.hide());
        at(5_000, () => page.fire('pagehide', { persisted: true }));
        at(8_000, () => page.show());
        at(8_001, () => {
          expect(attemptTimes(server)).toEqual([0, 8_000]);
          expect(statusesAfter(states, 100)).toEqual(['reconnecting 0 Infinity 1000', 'connecting 0', 'open']);
        });
      });
    });

    it('holds at once, reporting no close, a connection whose socket says it is closed when no close event was heard', () => {
      run(
        { hiddenCloseAfterMs: 1_000 },
        ({ server, page, at, states, closes }) => {
          at(50, () => page.hide());
          at(100, () => server.latest.drop());
          at(20_000, () => {
            expect(closes).toEqual([]);
            expect(attemptTimes(server)).toEqual([0]);
            expect(states.filter(({ at }) => at >= 100)).toEqual([
              { at: 1_050, state: { status: 'reconnecting', attempt: 0, delayMs: Infinity } },
            ]);
          });
        },
        {},
        losesFirstCloseEvent,
      );
    });

    it.each<[string, (run: Run) => void]>([
      [
        'its own close, for a page hidden that long',
        ({ page, at }) => {
          at(50, () => page.hide());
        },
      ],
      [
        "the server's close frame, read as the page is hidden",
        ({ server, page, at }) => {
          hiddenAsServerCloses({ server, page, at }, 100);
        },
      ],
    ])('hears what a socket closing after %s still fires (as ws does): a message, an error', (_, script) => {
      const sockets: HeldSocket[] = [];
      run(
        { hiddenCloseAfterMs: 0 },
        (r) => {
          const { at, socket } = r;
          const heard: unknown[] = [];
          socket.message$.subscribe((message) => heard.push(message));
          socket.error$.subscribe((error) => heard.push((error as Error).name));
          script(r);
          at(500, () => {
            sockets[0]?.onmessage?.({ type: 'message', data: 'late' });
            sockets[0]?.onerror?.({ type: 'error', message: 'Invalid WebSocket frame: invalid opcode 5' });
          });
          at(501, () => expect(heard).toEqual(['late', 'TransportError']));
        },
        {},
        (ctor) => keptIn(sockets, slowCloseEvents(ctor, 2_000)),
      );
    });

    it("with a heartbeat, stops it while the server's close is pending: the close is the server's, and held", () => {
      run(
        { hiddenCloseAfterMs: 0 },
        ({ server, page, at, states, closes }) => {
          hiddenAsServerCloses({ server, page, at }, 900);
          at(20_000, () => {
            expect(server.connection(0).sent).toEqual([]);
            expect(closes.map(({ at, close }) => [at, close.code])).toEqual([[3_900, 1012]]);
            expect(attemptTimes(server)).toEqual([0]);
            expect(statusesAfter(states, 900)).toEqual(['reconnecting 1 10000 1012', 'reconnecting 0 Infinity 1012']);
          });
        },
        { heartbeat: heartbeat({ intervalMs: 1_000, timeoutMs: 300, ping: 'ping' }) },
        (ctor) => slowCloseEvents(ctor, 3_000),
      );
    });

    it("waits closeTimeoutMs for the close event of a socket whose server's close frame was read, then holds a 1006", () => {
      run(
        { hiddenCloseAfterMs: 0 },
        ({ server, page, at, states, closes }) => {
          hiddenAsServerCloses({ server, page, at }, 900);
          at(20_000, () => {
            expect(closes).toEqual([{ at: 3_900, close: { code: 1006, reason: '', wasClean: false } }]);
            expect(attemptTimes(server)).toEqual([0]);
            expect(statusesAfter(states, 900)).toEqual(['reconnecting 1 10000 1006', 'reconnecting 0 Infinity 1006']);
          });
        },
        { closeTimeoutMs: 3_000 },
        (ctor) => slowCloseEvents(ctor, 100_000),
      );
    });

    it('keeps the connection of a page visible again before then', () => {
      run({ hiddenCloseAfterMs: 60_000 }, ({ server, page, at }) => {
        at(1_000, () => page.hide());
        at(50_000, () => page.show());
        at(200_000, () => {
          expect(server.connection(0).clientClose).toBeUndefined();
          expect(attemptTimes(server)).toEqual([0]);
        });
      });
    });

    it('counts from the first time the page is hidden, not from a repeated hidden event', () => {
      run({ hiddenCloseAfterMs: 1_000 }, ({ server, page, at }) => {
        at(100, () => page.hide());
        // A second event while hidden (as a browser may fire when the page is frozen or minimised again).
        at(600, () => page.fire('visibilitychange'));
        at(900, () => page.show());
        at(5_000, () => {
          expect(server.connection(0).clientClose).toBeUndefined();
          expect(attemptTimes(server)).toEqual([0]);
        });
      });
    });

    it('sets no timer for a page hidden when hiddenCloseAfterMs is Infinity, the default', () => {
      // A platform timer runs one given an infinite delay at once; a virtual one never does: the delays are read.
      const schedule = jest.spyOn(asyncScheduler, 'schedule');
      let delays: unknown[] | undefined;
      try {
        run({}, ({ server, page, at }) => {
          at(100, () => page.hide());
          at(5_000, () => expect(server.connection(0).clientClose).toBeUndefined());
        });
        delays = schedule.mock.calls.map(([, delay]) => delay);
      } finally {
        schedule.mockRestore();
      }
      expect(delays).toContain(5_000);
      expect(delays).not.toContain(Infinity);
    });

    it('counts from the start for a page already hidden when the connection starts', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const page = fakePage();
        page.visibilityState = 'hidden';
        const server = createWebSocketDouble<string, string>({ autoOpen: true });
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          lifecycle: pageLifecycle({ hiddenCloseAfterMs: 5_000, events: page }),
        });
        socket.connect();
        flush();
        expect(server.connection(0).clientClose).toMatchObject({ code: 1000, time: 5_000 });
      });
    });
    it("is released by the application's reconnect(): the page's return keeps that connection, a drop waits the backoff", () => {
      run({ hiddenCloseAfterMs: 1_000 }, ({ server, page, at, socket, states }) => {
        at(100, () => page.hide());
        at(5_000, () => socket.reconnect());
        // Back to a connection that is open: nothing to reconnect.
        at(5_500, () => page.show());
        at(6_000, () => server.latest.drop());
        at(6_000 + BACKOFF_MS + 1_000, () => {
          expect(attemptTimes(server)).toEqual([0, 5_000, 6_000 + BACKOFF_MS]);
          expect(statusesAfter(states, 1_100)).toEqual([
            'reconnecting 0 Infinity 1000',
            'connecting 0',
            'open',
            `reconnecting 1 ${BACKOFF_MS} 1006`,
            'connecting 1',
            'open',
          ]);
        });
      });
    });

    it('holds the connection closed with a 1006 close when the server leaves its close unanswered for closeTimeoutMs', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const page = fakePage();
        page.visibilityState = 'hidden';
        const server = createWebSocketDouble<string, string>({ autoOpen: true, holdClose: true });
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          lifecycle: pageLifecycle({ hiddenCloseAfterMs: 5_000, events: page }),
          reconnect: { backoff: constantBackoff({ delayMs: BACKOFF_MS }) },
          closeTimeoutMs: 2_000,
        });
        const states: Run['states'] = [];
        const closes: Run['closes'] = [];
        socket.state$.subscribe((state) => states.push({ at: scheduler.now(), state }));
        socket.close$.subscribe((close) => closes.push({ at: scheduler.now(), close }));
        socket.connect();
        scheduler.schedule(() => page.show(), 30_000);
        scheduler.schedule(() => socket.close(), 40_000);
        flush();
        expect(server.connection(0).clientClose).toMatchObject({ code: 1000, reason: 'page hidden', time: 5_000 });
        expect(closes[0]).toEqual({ at: 7_000, close: { code: 1006, reason: '', wasClean: false } });
        expect(attemptTimes(server)).toEqual([0, 30_000]);
        expect(statusesAfter(states, 5_000).slice(0, 3)).toEqual([
          'reconnecting 0 Infinity 1006',
          'connecting 0',
          'open',
        ]);
        expect(states.find(({ state }) => state.status === 'reconnecting')?.at).toBe(7_000);
      });
    });
    it('waits for ever, as told, when closeTimeoutMs is Infinity and the server leaves its close unanswered', () => {
      // A platform timer runs one given an infinite delay at once; a virtual one never does: the delays are read too.
      const schedule = jest.spyOn(asyncScheduler, 'schedule');
      let delays: unknown[] | undefined;
      try {
        const scheduler = newScheduler();
        scheduler.run(({ flush }) => {
          const page = fakePage();
          page.visibilityState = 'hidden';
          const server = createWebSocketDouble<string, string>({ autoOpen: true, holdClose: true });
          const socket = fromWebSocket<string, string>(FEED_URL, {
            WebSocketCtor: server.WebSocketCtor,
            lifecycle: pageLifecycle({ hiddenCloseAfterMs: 5_000, events: page }),
            closeTimeoutMs: Infinity,
          });
          const states: ConnectionState[] = [];
          const closes: CloseInfo[] = [];
          socket.state$.subscribe((state) => states.push(state));
          socket.close$.subscribe((close) => closes.push(close));
          socket.connect();
          flush();
          expect(server.connection(0).clientClose).toMatchObject({ code: 1000, time: 5_000 });
          expect(closes).toEqual([]);
          expect(states.at(-1)).toEqual({ status: 'open', protocol: '', extensions: '' });
        });
        delays = schedule.mock.calls.map(([, delay]) => delay);
      } finally {
        schedule.mockRestore();
      }
      expect(delays).toContain(5_000);
      expect(delays).not.toContain(Infinity);
    });
  });

  describe('a close() the application made', () => {
    it.each<[string, (page: FakePage) => void]>([
      ['shown', (page) => page.show()],
      ['cached', (page) => page.fire('pagehide', { persisted: true })],
    ])('goes on as made when the page is %s from its `closing` state', (_, event) => {
      run(
        {},
        ({ server, page, at, socket, states, closes }) => {
          socket.state$.subscribe((state) => state.status === 'closing' && event(page));
          at(100, () => socket.close(4001, 'bye'));
          at(200, () => {
            // No ping for the heartbeat, no close of the page's own.
            expect(server.connection(0).sent).toEqual([]);
            expect(closes).toEqual([{ at: 100, close: { code: 4001, reason: 'bye', wasClean: true } }]);
            expect(statusesAfter(states, 100)).toEqual(['closing', 'closed']);
          });
        },
        { heartbeat: heartbeat({ intervalMs: 30_000, timeoutMs: 300, ping: 'ping' }) },
      );
    });

    it.each<[string, (page: FakePage) => void]>([
      ['visible', (page) => page.show()],
      ['resume', (page) => page.fire('resume')],
      ['pageshow', (page) => page.fire('pageshow', { persisted: true })],
      ['online', (page) => page.fire('online')],
    ])('is never undone by %s', (_, event) => {
      run({ hiddenCloseAfterMs: 1_000 }, ({ server, page, at, socket, states }) => {
        at(100, () => page.hide());
        at(200, () => socket.close());
        at(5_000, () => event(page));
        at(6_000, () => {
          expect(attemptTimes(server)).toEqual([0]);
          expect(states.at(-1)?.state.status).toBe('closed');
        });
      });
    });

    it.each<[string, number, number, CloseInfo]>([
      ['comes', 2_000, 5_000, { code: 1000, reason: 'page hidden', wasClean: true }],
      ['never comes: closeTimeoutMs bounds it', 100_000, 2_000, { code: 1006, reason: '', wasClean: false }],
    ])(
      "made while the page's own close is under way waits for its close event, which %s, and ends with it",
      (_, closeEventMs, closeTimeoutMs, close) => {
        run(
          { hiddenCloseAfterMs: 1_000 },
          ({ server, page, at, socket, states, closes }) => {
            at(100, () => page.hide());
            at(1_500, () => socket.close(4001, 'bye'));
            at(200_000, () => {
              expect(server.connection(0).clientClose).toMatchObject({
                code: 1000,
                reason: 'page hidden',
                time: 1_100,
              });
              expect(closes).toEqual([{ at: 3_100, close }]);
              expect(attemptTimes(server)).toEqual([0]);
              expect(statusesAfter(states, 1_100)).toEqual(['closing', 'closed']);
              expect(states.at(-1)?.state).toEqual({ status: 'closed', close });
            });
          },
          { closeTimeoutMs },
          (ctor) => slowCloseEvents(ctor, closeEventMs),
        );
      },
    );

    it('is never undone after the page held the connection closed', () => {
      run({ hiddenCloseAfterMs: 1_000 }, ({ server, page, at, socket, states }) => {
        at(100, () => page.hide());
        at(2_000, () => socket.close());
        at(5_000, () => page.show());
        at(6_000, () => {
          expect(attemptTimes(server)).toEqual([0]);
          expect(states.at(-1)?.state.status).toBe('closed');
        });
      });
    });
  });

  describe('listeners', () => {
    it('are added when the connection starts and all removed when it ends', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const page = fakePage();
        const server = createWebSocketDouble<string, string>({ autoOpen: true });
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          lifecycle: pageLifecycle({ hiddenCloseAfterMs: 1_000, events: page }),
        });
        expect(page.listenerCount()).toBe(0);
        const held = socket.connect();
        expect(page.listenerCount()).toBe(5);
        scheduler.schedule(() => page.hide(), 100);
        // Let go while hidden: the hidden timer goes too, and nothing reconnects the socket nobody holds.
        scheduler.schedule(() => held.unsubscribe(), 200);
        scheduler.schedule(() => page.show(), 5_000);
        flush();
        expect(page.listenerCount()).toBe(0);
        expect(server.attempts).toHaveLength(1);
        expect(server.connection(0).clientClose).toMatchObject({ code: 1000, time: 200 });
      });
    });
  });

  describe('options', () => {
    it.each<[string, unknown]>([
      ['hiddenCloseAfterMs', -1],
      ['hiddenCloseAfterMs', '5000'],
      ['events', {}],
      ['events', null],
      ['events', { removeEventListener: () => undefined }],
    ])('refuses a bad %s (%p)', (name, value) => {
      expect(() => pageLifecycle({ [name]: value })).toThrow(InvalidOptionError);
    });

    it.each<[string, unknown, string]>([
      ['options that are a string', 'hidden', 'Invalid option lifecycle: "hidden" (an object)'],
      ['options that are null', null, 'Invalid option lifecycle: null (an object)'],
      ['a hiddenCloseAfterMs below 0', { hiddenCloseAfterMs: -1 }, 'Invalid option lifecycle.hiddenCloseAfterMs: -1'],
      [
        'events without removeEventListener',
        { events: { addEventListener: () => undefined } },
        'Invalid option lifecycle.events: object (an object with addEventListener and removeEventListener)',
      ],
    ])('says what is wrong with %s', (_name, options, message) => {
      expect(() => pageLifecycle(options as PageLifecycleOptions)).toThrow(message);
    });

    it('takes Infinity as never closing a hidden page', () => {
      expect(() => pageLifecycle({ hiddenCloseAfterMs: Infinity })).not.toThrow();
    });

    it('does nothing outside a browser', () => {
      const lifecycle = pageLifecycle();
      // A session that throws on any use: nothing may touch it.
      const session = new Proxy(
        {},
        {
          get: () => {
            throw new Error('the session was used');
          },
        },
      );
      lifecycle.watch(session as never).unsubscribe();
    });
  });
});
