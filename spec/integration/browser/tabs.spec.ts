/**
 * shareAcrossTabs in a real Chromium: several pages of one origin in one browser context, against the reference feed
 * server on 127.0.0.1. The pages load the library's source bundled for the browser (native WebSocket, Web Locks,
 * BroadcastChannel). Every wait is for something a page or the server reports, bounded by a timeout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { keepFigures } from '../../helpers/figures';
import { launchChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';
import { startFeedServer, type FeedServer } from '../../../examples/feed-server/server';

const ROOT = resolve(__dirname, '..', '..', '..');
/** Handover runs per way the leader goes. */
const RUNS = 5;
/** Every wait for a page: bounded, polled often enough to see each change. */
const OPTIONS = { timeout: 10_000, polling: 20 };
/** The tabs' reconnect delay: constant, so that the failover time is the library's and not a random backoff's. */
const RECONNECT_DELAY_MS = 50;
const PUBLISH_HZ = 50;

/** The page: one socket shared as 'feed', its states, messages and channel recorded for the spec to read. */
const PAGE_SOURCE = `
import { constantBackoff, fromWebSocket, json, multiplex, shareAcrossTabs } from 'rx-websocket';
const params = new URLSearchParams(location.search);
const socket = fromWebSocket(params.get('ws'), {
  ...json(),
  reconnect: { backoff: constantBackoff({ delayMs: ${RECONNECT_DELAY_MS} }) },
  tabs: shareAcrossTabs({ name: 'feed' }),
});
const now = () => performance.timeOrigin + performance.now();
const page = (window.__page = { states: [], messages: 0, replies: [], ticks: [], errors: [] });
socket.state$.subscribe((state) => page.states.push({ status: state.status, at: now() }));
socket.error$.subscribe((error) => page.errors.push(error.code));
socket.message$.subscribe((msg) => {
  page.messages++;
  if (msg.type === 'reply') page.replies.push(msg.id);
});
let channel;
window.__channel = () => {
  channel = multiplex(
    socket,
    (cursor) => ({ type: 'subscribe', channel: 'ticks', ...(cursor !== undefined && { since: cursor }) }),
    () => ({ type: 'unsubscribe', channel: 'ticks' }),
    (msg) => msg.type === 'message' && msg.channel === 'ticks',
    { cursorOf: (msg) => msg.cursor },
  ).subscribe((msg) => page.ticks.push(msg.data.n));
};
window.__unchannel = () => channel.unsubscribe();
window.__send = (tab, count) => {
  for (let seq = 0; seq < count; seq++) socket.send({ type: 'request', id: tab + ':' + seq, data: { op: 'record', tab, seq } });
};
`;

interface PageRecord {
  readonly states: { readonly status: string; readonly at: number }[];
  readonly messages: number;
  readonly replies: string[];
  readonly ticks: number[];
  readonly errors: string[];
}

requireSystem('chromium').describe('shareAcrossTabs in Chromium', (chromiumPath) => {
  let browser: Browser | undefined;
  let http: Server | undefined;
  let feed: FeedServer | undefined;
  let origin = '';
  let script = '';
  /** Every WebSocket handshake the server was asked for. */
  let upgrades = 0;
  /** What the `record` requests carried, in the order the server received them. */
  const recorded: { tab: string; seq: number }[] = [];
  /** Every frame a page's real WebSocket sent, as Chromium reports it. */
  const framesSent: string[] = [];

  beforeAll(async () => {
    const bundled = await build({
      absWorkingDir: ROOT,
      stdin: { contents: PAGE_SOURCE, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: ['es2022'],
      write: false,
      logLevel: 'silent',
      alias: { 'rx-websocket': './lib/index.ts' },
    });
    script = bundled.outputFiles[0]?.text ?? '';
    http = createServer((req, res) => {
      if (req.url?.startsWith('/app.js')) {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      } else {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end('<!doctype html><script src="/app.js"></script>');
      }
    });
    http.on('upgrade', () => upgrades++);
    await new Promise<void>((done) => http?.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    feed = await startFeedServer({
      server: http,
      path: '/ws',
      channels: ['ticks'],
      rateHz: PUBLISH_HZ,
      log: false,
      operations: {
        record: (args) => {
          recorded.push({ tab: String(args.tab), seq: Number(args.seq) });
          return 'ok';
        },
      },
    });
    browser = await launchChromium(chromiumPath);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await feed?.close();
    await new Promise((done) => http?.close(done));
  }, 30_000);

  const wsUrl = (): string => `${origin.replace('http', 'ws')}/ws`;
  const read = (page: Page): Promise<PageRecord> =>
    page.evaluate(() => (window as unknown as { __page: PageRecord }).__page);
  const waitForOpen = async (page: Page): Promise<void> => {
    await page.waitForFunction(
      () => (window as unknown as { __page?: PageRecord }).__page?.states.at(-1)?.status === 'open',
      undefined,
      OPTIONS,
    );
  };
  /** Until the page has been other than open since `since` (epoch ms), and is open again. */
  const waitForReopen = async (page: Page, since: number): Promise<void> => {
    await page.waitForFunction(
      (since) => {
        const states = (window as unknown as { __page?: PageRecord }).__page?.states ?? [];
        return states.at(-1)?.status === 'open' && states.some((state) => state.at >= since && state.status !== 'open');
      },
      since,
      OPTIONS,
    );
  };
  const waitForTicks = async (page: Page, atLeast: number): Promise<void> => {
    await page.waitForFunction(
      (atLeast) => ((window as unknown as { __page?: PageRecord }).__page?.ticks.length ?? 0) >= atLeast,
      atLeast,
      OPTIONS,
    );
  };
  const waitForReplies = async (page: Page, atLeast: number): Promise<void> => {
    await page.waitForFunction(
      (atLeast) => ((window as unknown as { __page?: PageRecord }).__page?.replies.length ?? 0) >= atLeast,
      atLeast,
      OPTIONS,
    );
  };
  const call = (page: Page, name: '__channel' | '__unchannel'): Promise<void> =>
    page.evaluate((name) => (window as unknown as Record<string, () => void>)[name]?.(), name);

  /** Opens `count` pages of the origin in a new context, one after the other, each open before the next: the first leads. */
  async function openTabs(count: number): Promise<{ context: BrowserContext; pages: Page[] }> {
    const context = await (browser as Browser).newContext();
    const pages: Page[] = [];
    for (let i = 0; i < count; i++) {
      const page = await context.newPage();
      page.on('websocket', (socket) => socket.on('framesent', (frame) => framesSent.push(String(frame.payload))));
      await page.goto(`${origin}/?ws=${encodeURIComponent(wsUrl())}`);
      await waitForOpen(page);
      pages.push(page);
    }
    return { context, pages };
  }

  /** Whether `ticks` is a run of consecutive numbers, each once. */
  const consecutive = (ticks: readonly number[]): boolean =>
    ticks.every((n, i) => i === 0 || n === (ticks[i - 1] ?? 0) + 1);

  it('three tabs: one connection; a message reaches all three; each tab’s sends arrive in its order; a channel two tabs want is subscribed once and unsubscribed once', async () => {
    const before = upgrades;
    const { context, pages } = await openTabs(3);
    try {
      expect(upgrades - before).toBe(1);
      expect(feed?.stats().connections).toBe(1);
      // Every message reaches every tab: the published ticks (the server sends them only to subscribers, so a reply
      // stands in for a message nobody subscribed to: each tab's request is answered once, to all three).
      const [a, b, c] = pages as [Page, Page, Page];
      recorded.length = 0;
      await Promise.all(
        pages.map((page, i) =>
          page.evaluate(
            ([tab]) => (window as unknown as { __send: (t: string, n: number) => void }).__send(tab as string, 20),
            [`t${i}`],
          ),
        ),
      );
      for (const page of pages) await waitForReplies(page, 60);
      for (const page of pages) expect((await read(page)).replies).toHaveLength(60);
      for (const tab of ['t0', 't1', 't2']) {
        expect(recorded.filter((entry) => entry.tab === tab).map((entry) => entry.seq)).toEqual(
          Array.from({ length: 20 }, (_, i) => i),
        );
      }
      // A channel in two tabs: the server has one subscriber, and keeps it until the second tab lets go.
      framesSent.length = 0;
      await call(a, '__channel');
      await call(b, '__channel');
      await waitForTicks(a, 10);
      await waitForTicks(b, 10);
      await call(a, '__unchannel');
      await waitForTicks(b, (await read(b)).ticks.length + 10);
      await call(b, '__unchannel');
      const [ra, rb, rc] = [await read(a), await read(b), await read(c)];
      expect(consecutive(ra.ticks)).toBe(true);
      expect(consecutive(rb.ticks)).toBe(true);
      expect(rc.ticks).toEqual([]);
      expect([ra.errors, rb.errors, rc.errors]).toEqual([[], [], []]);
      const channelFrames = framesSent
        .map((text) => JSON.parse(text) as { type: string })
        .filter((f) => f.type !== 'request');
      expect(channelFrames).toEqual([
        { type: 'subscribe', channel: 'ticks' },
        { type: 'unsubscribe', channel: 'ticks' },
      ]);
    } finally {
      await context.close();
    }
  }, 60_000);

  type Going = 'close' | 'close with beforeunload' | 'crash';
  const failovers: Record<Going, number[]> = { close: [], 'close with beforeunload': [], crash: [] };

  /** The leader page goes as `going` says while the ticks channel streams in all three tabs; returns the failover ms. */
  async function handover(going: Going): Promise<number> {
    const { context, pages } = await openTabs(3);
    try {
      const [leader, b, c] = pages as [Page, Page, Page];
      for (const page of pages) await call(page, '__channel');
      for (const page of pages) await waitForTicks(page, 10);
      const before = upgrades;
      const since = Date.now();
      if (going === 'crash') {
        const cdp = await context.newCDPSession(leader);
        // The renderer dies at once: no pagehide, no unload; the answer never comes.
        cdp.send('Page.crash').catch(() => undefined);
      } else await leader.close({ runBeforeUnload: going === 'close with beforeunload' });
      await Promise.all([waitForReopen(b, since), waitForReopen(c, since)]);
      const reopened = await Promise.all(
        [b, c].map(async (page) => {
          const states = (await read(page)).states;
          const down = states.findIndex((state) => state.at >= since && state.status !== 'open');
          return states.slice(down).find((state) => state.status === 'open')?.at ?? Infinity;
        }),
      );
      const failoverMs = Math.max(...reopened) - since;
      // The channel goes on in both tabs past the handover, with every tick once and in order.
      for (const page of [b, c]) await waitForTicks(page, (await read(page)).ticks.length + 20);
      expect(upgrades - before).toBe(1);
      for (const page of [b, c]) {
        const { ticks, errors } = await read(page);
        expect(consecutive(ticks)).toBe(true);
        expect(errors.filter((code) => code !== 'ERR_WEBSOCKET_CLOSE')).toEqual([]);
      }
      return failoverMs;
    } finally {
      await context.close();
    }
  }

  for (const going of ['close', 'close with beforeunload', 'crash'] as const) {
    it(`when the leader tab goes (${going}), another takes over: one reconnection, and the resumable channel misses and repeats nothing in any tab (${RUNS} runs)`, async () => {
      for (let run = 0; run < RUNS; run++) failovers[going].push(await handover(going));
      expect(failovers[going]).toHaveLength(RUNS);
    }, 120_000);
  }

  afterAll(() => {
    const summary = (runs: readonly number[]) => {
      const sorted = [...runs].sort((x, y) => x - y);
      return { runs, medianMs: sorted[Math.floor(sorted.length / 2)], worstMs: sorted.at(-1) };
    };
    keepFigures(
      'tabs-failover',
      {
        what: 'from the leader page going to every other page open again on the new connection',
        reconnectDelayMs: RECONNECT_DELAY_MS,
        close: summary(failovers.close),
        closeWithBeforeUnload: summary(failovers['close with beforeunload']),
        crash: summary(failovers.crash),
      },
      'browser',
    );
  });
});
