/**
 * shareAcrossTabs in a real Chromium when the leader page is frozen: three pages of one origin (tabs of one window)
 * against the reference feed server on 127.0.0.1. The leader page is hidden behind another tab and frozen (CDP
 * `Page.setWebLifecycleState`): it steps down, another page takes over at once, the server sees one reconnection, and
 * the resumable channel misses and repeats nothing in any page, the frozen one included once it is resumed. Every wait
 * is for something a page or the server reports, bounded by a timeout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { launchTabbedChromium, type TabbedChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';
import { startFeedServer, type FeedServer } from '../../../examples/feed-server/server';

const ROOT = resolve(__dirname, '..', '..', '..');
const OPTIONS = { timeout: 10_000, polling: 20 };

/** The page: one socket shared as 'feed' with the ticks channel, its states and ticks recorded for the spec. */
const PAGE_SOURCE = `
import { constantBackoff, fromWebSocket, json, multiplex, shareAcrossTabs } from 'rx-websocket';
const params = new URLSearchParams(location.search);
const socket = fromWebSocket(params.get('ws'), {
  ...json(),
  reconnect: { backoff: constantBackoff({ delayMs: 50 }) },
  tabs: shareAcrossTabs({ name: 'feed' }),
});
const page = (window.__page = { states: [], ticks: [], errors: [], events: [] });
socket.state$.subscribe((state) => page.states.push({ status: state.status, at: Date.now() }));
socket.error$.subscribe((error) => page.errors.push(error.code));
for (const type of ['freeze', 'resume']) document.addEventListener(type, () => page.events.push(type));
multiplex(
  socket,
  (cursor) => ({ type: 'subscribe', channel: 'ticks', ...(cursor !== undefined && { since: cursor }) }),
  () => ({ type: 'unsubscribe', channel: 'ticks' }),
  (msg) => msg.type === 'message' && msg.channel === 'ticks',
  { cursorOf: (msg) => msg.cursor },
).subscribe((msg) => page.ticks.push(msg.data.n));
`;

interface PageRecord {
  readonly states: { readonly status: string; readonly at: number }[];
  readonly ticks: number[];
  readonly errors: string[];
  readonly events: string[];
}

requireSystem('chromium').describe('shareAcrossTabs in Chromium: a frozen leader', (chromiumPath) => {
  let chromium: TabbedChromium | undefined;
  let http: Server | undefined;
  let feed: FeedServer | undefined;
  let url = '';
  /** Every WebSocket handshake the server was asked for. */
  let upgrades = 0;

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
    const script = bundled.outputFiles[0]?.text ?? '';
    http = createServer((req, res) => {
      if (req.url?.startsWith('/app.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/app.js"></script>');
    });
    http.on('upgrade', () => upgrades++);
    await new Promise<void>((done) => http?.listen(0, '127.0.0.1', done));
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    url = `${origin}/?ws=${encodeURIComponent(`${origin.replace('http', 'ws')}/ws`)}`;
    feed = await startFeedServer({ server: http, path: '/ws', channels: ['ticks'], rateHz: 50, log: false });
    chromium = await launchTabbedChromium(chromiumPath);
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await feed?.close();
    await new Promise((done) => http?.close(done));
  }, 30_000);

  const read = (page: Page): Promise<PageRecord> =>
    page.evaluate(() => (window as unknown as { __page: PageRecord }).__page);
  const waitFor = async (page: Page, check: string, arg: number): Promise<void> => {
    await page.waitForFunction(
      ([check, arg]) => {
        const page = (window as unknown as { __page?: PageRecord }).__page;
        if (!page) return false;
        const open = page.states.at(-1)?.status === 'open';
        if (check === 'open') return open;
        if (check === 'reopen')
          return open && page.states.some((state) => state.at >= Number(arg) && state.status !== 'open');
        return page.ticks.length >= Number(arg);
      },
      [check, arg] as const,
      OPTIONS,
    );
  };
  const consecutive = (ticks: readonly number[]): boolean =>
    ticks.length > 0 && ticks.every((n, i) => i === 0 || n === (ticks[i - 1] ?? 0) + 1);

  it('the hidden, frozen leader page steps down: another page takes over with one reconnection, and no page misses or repeats a tick, the frozen one once resumed', async () => {
    const { page: leader, context } = chromium as TabbedChromium;
    await leader.goto(url);
    await waitFor(leader, 'open', 0);
    const others: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      await page.goto(url);
      await waitFor(page, 'open', 0);
      others.push(page);
    }
    const [b, c] = others as [Page, Page];
    for (const page of [leader, b, c]) await waitFor(page, 'ticks', 10);
    await chromium?.hide();
    const before = upgrades;
    const since = Date.now();
    await chromium?.freeze();
    await Promise.all([waitFor(b, 'reopen', since), waitFor(c, 'reopen', since)]);
    for (const page of [b, c]) await waitFor(page, 'ticks', (await read(page)).ticks.length + 20);
    expect(upgrades - before).toBe(1);
    expect(feed?.stats().connections).toBe(1);
    await chromium?.resume();
    await waitFor(leader, 'reopen', since);
    await waitFor(leader, 'ticks', (await read(leader)).ticks.length + 20);
    expect(upgrades - before).toBe(1);
    for (const page of [leader, b, c]) {
      const { ticks, errors } = await read(page);
      expect(consecutive(ticks)).toBe(true);
      expect(errors.filter((code) => code !== 'ERR_WEBSOCKET_CLOSE')).toEqual([]);
    }
    expect((await read(leader)).events).toEqual(['freeze', 'resume']);
  }, 90_000);
});
