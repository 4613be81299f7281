/**
 * @jest-environment jsdom
 */
// rx-websocket/angular in a zoneless TestBed, against the virtual-time server double of rx-websocket/testing.
import './jsdom-globals';
import '@angular/compiler';
import {
  afterEveryRender,
  ApplicationRef,
  Component,
  ErrorHandler,
  type Signal,
  PLATFORM_ID,
  provideZonelessChangeDetection,
  type Type,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { asapScheduler, asyncScheduler, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { constantBackoff, json, type WebSocketOptions } from 'rx-websocket';
import {
  createWebSocketToken,
  injectWebSocket,
  provideWebSocket,
  WEB_SOCKET,
  withConnectOnStart,
} from 'rx-websocket/angular';
import { closeEvent, createWebSocketDouble, type WebSocketServerDouble } from 'rx-websocket/testing';

interface Tick {
  readonly type: 'tick';
  readonly channel: string;
  readonly value: number;
}
interface Command {
  readonly type: 'subscribe' | 'unsubscribe';
  readonly channel: string;
}

const FEED = createWebSocketToken<Tick, Command>('feed');

/** Declares a standalone component without decorator syntax (the specs compile without experimentalDecorators). */
function component<T>(type: Type<T>, template: string): Type<T> {
  Component({ selector: 'app-test', template })(type);
  return type;
}

/** A component that shows the feed's status, and the latest tick while it lives. */
class FeedPanel {
  readonly feed = injectWebSocket(FEED);
  readonly latest: Signal<Tick | undefined> = this.feed.latest({ initialValue: undefined });
  renders = 0;
  constructor() {
    afterEveryRender(() => this.renders++);
  }
}
component(FeedPanel, `<p id="status">{{ feed.status() }}</p><p id="latest">{{ latest()?.value ?? 'none' }}</p>`);

function options(server: WebSocketServerDouble<Tick, Command>, more: WebSocketOptions<Tick, Command> = {}) {
  return { ...json<Tick, Command>(), WebSocketCtor: server.WebSocketCtor, ...more };
}

function configure(server: WebSocketServerDouble<Tick, Command>, more: WebSocketOptions<Tick, Command> = {}): void {
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideWebSocket({ token: FEED, url: 'wss://feed.test/ws', options: options(server, more) }),
    ],
  });
}

const text = (element: HTMLElement, selector: string): string | undefined =>
  element.querySelector(selector)?.textContent?.trim();

beforeAll(() => {
  TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting());
});
afterEach(() => TestBed.resetTestingModule());

/**
 * Runs `spec` in virtual time: the double's events and the library's timers wait for `flush()`. Animation frames
 * never come, so bindings write their signals after their fallback delay (100 ms).
 */
function virtual(spec: (flush: () => void) => void): void {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ animate, flush }) => {
    animate('');
    spec(flush);
  });
}

describe('provideWebSocket in a zoneless application', () => {
  it('connects after the first render, shows state and messages through signals, and closes when the component goes', () => {
    virtual((flush) => {
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      configure(server);
      const fixture = TestBed.createComponent(FeedPanel);
      const feed = TestBed.inject(FEED);
      const page = fixture.nativeElement as HTMLElement;
      expect(feed.status()).toBe('idle');
      expect(server.connections).toHaveLength(0);

      const statuses: string[] = [];
      feed.socket.state$.subscribe((state) => statuses.push(state.status));
      TestBed.tick();
      flush();
      expect(server.connections).toHaveLength(1);
      expect(statuses).toEqual(['idle', 'connecting', 'open']);

      server.latest.messageJson({ type: 'tick', channel: 'a', value: 1 });
      flush();
      TestBed.tick();
      expect(feed.isOpen()).toBe(true);
      expect(text(page, '#status')).toBe('open');
      expect(text(page, '#latest')).toBe('1');

      fixture.destroy();
      // The component's DestroyRef let go of the only binding: the socket closes (after lingerMs, 0 by default).
      expect(server.latest.clientClose?.code).toBe(1000);
    });
  });

  it('after a stop code, keeps the last value, and start() connects again with the same bindings', () => {
    virtual((flush) => {
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      configure(server);
      const fixture = TestBed.createComponent(FeedPanel);
      const feed = TestBed.inject(FEED);
      TestBed.tick();
      flush();
      server.latest.messageJson({ type: 'tick', channel: 'a', value: 7 });
      server.latest.close(4001, 'unauthorized');
      flush();
      expect(feed.status()).toBe('closed');
      expect(feed.lastClose()).toEqual(closeEvent(4001, 'unauthorized'));
      expect(fixture.componentInstance.latest()?.value).toBe(7);

      feed.start();
      flush();
      expect(server.connections).toHaveLength(2);
      server.latest.messageJson({ type: 'tick', channel: 'a', value: 8 });
      flush();
      TestBed.tick();
      expect(feed.status()).toBe('open');
      expect(text(fixture.nativeElement as HTMLElement, '#latest')).toBe('8');
    });
  });

  it('stop() closes with 1000 and ends closed; reconnect() after it starts again', () => {
    virtual((flush) => {
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      configure(server);
      const fixture = TestBed.createComponent(FeedPanel);
      const feed = TestBed.inject(FEED);
      TestBed.tick();
      flush();
      flush();

      feed.stop();
      expect(server.latest.clientClose?.code).toBe(1000);
      flush();
      expect(feed.status()).toBe('closed');

      feed.reconnect();
      flush();
      expect(server.connections).toHaveLength(2);
      flush();
      TestBed.tick();
      expect(text(fixture.nativeElement as HTMLElement, '#status')).toBe('open');
    });
  });

  it('while reconnecting, gives the attempt, the last close and a countdown in steps of countdownStepMs', () => {
    virtual((flush) => {
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      TestBed.configureTestingModule({
        providers: [
          provideZonelessChangeDetection(),
          provideWebSocket(
            {
              token: FEED,
              url: 'wss://feed.test/ws',
              countdownStepMs: 1000,
              options: options(server, { reconnect: { backoff: constantBackoff({ delayMs: 2500, jitter: 'none' }) } }),
            },
            withConnectOnStart(),
          ),
        ],
      });
      const feed = TestBed.inject(FEED);
      TestBed.tick();
      flush();
      flush();
      const dropAt = asyncScheduler.now();
      server.latest.drop();
      // Read just after each step; the backoff's timer ends the wait at 2500, and the double opens at once.
      const seen: [number, string, number, number | undefined][] = [];
      for (const at of [1, 1001, 2001, 2501])
        asyncScheduler.schedule(() => seen.push([at, feed.status(), feed.attempt(), feed.countdownMs()]), at);
      flush();
      expect(asyncScheduler.now()).toBeGreaterThan(dropAt);
      expect(seen).toEqual([
        [1, 'reconnecting', 1, 2500],
        [1001, 'reconnecting', 1, 1500],
        [2001, 'reconnecting', 1, 500],
        [2501, 'open', 0, undefined],
      ]);
      expect(feed.lastClose()?.code).toBe(1006);
    });
  });

  it('holds the connection from the first render with withConnectOnStart(), with no component', () => {
    virtual((flush) => {
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      TestBed.configureTestingModule({
        providers: [
          provideZonelessChangeDetection(),
          provideWebSocket({ token: FEED, url: 'wss://feed.test/ws', options: options(server) }, withConnectOnStart()),
        ],
      });
      TestBed.inject(ApplicationRef);
      expect(server.connections).toHaveLength(0);
      TestBed.tick();
      flush();
      expect(server.connections).toHaveLength(1);
      flush();
      expect(TestBed.inject(FEED).status()).toBe('open');
    });
  });

  it('keeps several sockets side by side, one token each; the default token needs no name', () => {
    virtual((flush) => {
      const feedServer = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      const otherServer = createWebSocketDouble({ autoOpen: true });
      TestBed.configureTestingModule({
        providers: [
          provideZonelessChangeDetection(),
          provideWebSocket({ token: FEED, url: 'wss://feed.test/ws', options: options(feedServer) }),
          provideWebSocket({ url: 'wss://other.test/ws', options: { WebSocketCtor: otherServer.WebSocketCtor } }),
        ],
      });
      const [feed, other] = TestBed.runInInjectionContext(() => [injectWebSocket(FEED), injectWebSocket()] as const);
      expect(other).toBe(TestBed.inject(WEB_SOCKET));
      const texts = TestBed.runInInjectionContext(() =>
        other.toSignal(other.socket.message$.pipe(map(String)), { initialValue: '' }),
      );
      TestBed.tick();
      flush();
      expect(feedServer.connections).toHaveLength(0);
      expect(otherServer.connections).toHaveLength(1);
      otherServer.latest.message('hello');
      flush();
      expect(texts()).toBe('hello');
      expect(other.status()).toBe('open');
      expect(feed.status()).toBe('idle');
    });
  });

  it('hands an error of the application’s own operators to the ErrorHandler, and waits for start()', () => {
    virtual((flush) => {
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      const handled: unknown[] = [];
      configure(server);
      TestBed.configureTestingModule({
        providers: [{ provide: ErrorHandler, useValue: { handleError: (error: unknown) => handled.push(error) } }],
      });
      const feed = TestBed.inject(FEED);
      const failure = new TypeError('not a number');
      const values = TestBed.runInInjectionContext(() =>
        feed.toSignal(
          feed.socket.message$.pipe(
            map((tick) => {
              if (tick.value < 0) throw failure;
              return tick.value;
            }),
          ),
          { initialValue: 0 },
        ),
      );
      TestBed.tick();
      flush();
      server.latest.messageJson({ type: 'tick', channel: 'a', value: 3 });
      server.latest.messageJson({ type: 'tick', channel: 'a', value: -1 });
      flush();
      expect(values()).toBe(3);
      expect(handled).toEqual([failure]);
      // The only binding ended: nothing holds the socket any more.
      expect(server.latest.clientClose?.code).toBe(1000);

      feed.start();
      flush();
      server.latest.messageJson({ type: 'tick', channel: 'a', value: 4 });
      flush();
      expect(values()).toBe(4);
    });
  });

  it('writes a binding once per animation frame, with the latest value', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ animate, flush }) => {
      // Frames at 20 ms and 40 ms of virtual time.
      animate('20ms x 19ms x');
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      configure(server);
      const fixture = TestBed.createComponent(FeedPanel);
      TestBed.tick();
      const seen: (number | undefined)[] = [];
      // Messages at 5, 10 and 15 ms, each its own task; reads at 16 and 21 ms.
      for (const [at, value] of [
        [5, 1],
        [10, 2],
        [15, 3],
      ] as const)
        asyncScheduler.schedule(() => server.latest.messageJson({ type: 'tick', channel: 'a', value }), at);
      for (const at of [16, 21])
        asyncScheduler.schedule(() => seen.push(fixture.componentInstance.latest()?.value), at);
      flush();
      expect(seen).toEqual([undefined, 3]);
    });
  });

  it('coalesces a burst of messages, each its own task, into one write and a render or two', async () => {
    // Real time here: Angular's zoneless scheduler decides when to render, on its own timers.
    const server = createWebSocketDouble<Tick, Command>();
    configure(server);
    const fixture = TestBed.createComponent(FeedPanel);
    const feed = TestBed.inject(FEED);
    await fixture.whenStable();
    const opened = new Promise<void>((resolve) => {
      const subscription = feed.socket.state$.subscribe((state) => {
        if (state.status !== 'open') return;
        resolve();
        queueMicrotask(() => subscription.unsubscribe());
      });
    });
    server.latest.open();
    await opened;
    await fixture.whenStable();
    const before = fixture.componentInstance.renders;

    // Resolves on the first render that shows the last message.
    const shown = new Promise<void>((resolve) => {
      const hook = afterEveryRender(
        () => {
          if (fixture.componentInstance.latest()?.value !== 300) return;
          hook.destroy();
          resolve();
        },
        { injector: fixture.componentRef.injector },
      );
    });
    for (let value = 1; value <= 300; value++) server.latest.messageJson({ type: 'tick', channel: 'a', value });
    await shown;

    expect(text(fixture.nativeElement as HTMLElement, '#latest')).toBe('300');
    expect(fixture.componentInstance.renders - before).toBeGreaterThanOrEqual(1);
    expect(fixture.componentInstance.renders - before).toBeLessThanOrEqual(2);
  });
});

describe('provideWebSocket on the server', () => {
  it('connects nothing and starts no timer; the signals keep their initial values', async () => {
    const server = createWebSocketDouble<Tick, Command>();
    configure(server, { reconnect: { backoff: constantBackoff({ delayMs: 1000, jitter: 'none' }) } });
    TestBed.configureTestingModule({ providers: [{ provide: PLATFORM_ID, useValue: 'server' }] });
    const scheduled = jest.spyOn(asyncScheduler, 'schedule');
    const asap = jest.spyOn(asapScheduler, 'schedule');
    const fixture = TestBed.createComponent(FeedPanel);
    const feed = TestBed.inject(FEED);
    feed.start();
    feed.reconnect();
    feed.send({ type: 'subscribe', channel: 'a' });
    await fixture.whenStable();
    expect(server.connections).toHaveLength(0);
    expect(scheduled).not.toHaveBeenCalled();
    expect(asap).not.toHaveBeenCalled();
    expect(feed.status()).toBe('idle');
    expect(text(fixture.nativeElement as HTMLElement, '#latest')).toBe('none');
    scheduled.mockRestore();
    asap.mockRestore();
  });
});
