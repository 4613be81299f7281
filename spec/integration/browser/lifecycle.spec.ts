/**
 * The page lifecycle in a real Chromium against a real `ws` server on 127.0.0.1: a page restored from the
 * back/forward cache reconnects at once (the server having seen its socket close with 1001); a page in a background
 * tab, hidden or frozen while its connection dies (through a TCP proxy, without a close frame), reconnects at once as
 * it is shown or resumed; a heartbeat survives the background tab's throttled timers; `hiddenCloseAfterMs` closes a
 * hidden page's connection. The backoff is a minute, so only the lifecycle explains a quick reconnection. Every wait
 * is for an event, bounded by a timeout.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import { launchChromium, launchTabbedChromium, type TabbedChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy';

const ROOT = resolve(__dirname, '..', '..', '..');

/** The page's script: the library as an application bundles it, and a socket made from what the test asks. */
const PAGE_SCRIPT = `
import { constantBackoff, fromWebSocket, heartbeat, pageLifecycle } from 'rx-websocket';
const log = (window.lifecycleLog = []);
for (const type of ['pageshow', 'pagehide']) addEventListener(type, (event) => log.push(type + ' ' + event.persisted));
for (const type of ['freeze', 'resume', 'visibilitychange'])
  document.addEventListener(type, () => log.push(type + ' ' + document.visibilityState));
window.startSocket = (settings) => {
  const socket = fromWebSocket((settings.url ?? 'ws://' + location.host) + '/ws', {
    ...(settings.lifecycle !== false && {
      lifecycle: pageLifecycle(settings.hiddenCloseAfterMs === undefined ? {} : { hiddenCloseAfterMs: settings.hiddenCloseAfterMs }),
    }),
    reconnect: { backoff: constantBackoff({ delayMs: 60_000 }) },
    ...(settings.heartbeat && { heartbeat: heartbeat({ ...settings.heartbeat, isPong: (data) => data === 'pong' }) }),
  });
  socket.state$.subscribe((state) => {
    log.push('state ' + state.status);
    const close = state.lastClose ? ' ' + state.lastClose.code + ' ' + state.lastClose.reason : '';
    log.push('detail ' + state.status + ' ' + (state.attempt ?? '-') + ' ' + (state.delayMs ?? '-') + close);
  });
  socket.error$.subscribe((error) => log.push('error ' + error.code));
  socket.message$.subscribe();
};
// How late a chain of timers fires: each is set for delayMs, and its lateness (in ms) is recorded.
window.timerLateness = [];
window.probeTimers = (delayMs) => {
  const next = () => {
    const setAt = performance.now();
    setTimeout(() => {
      window.timerLateness.push(performance.now() - setAt - delayMs);
      next();
    }, delayMs);
  };
  next();
};
`;

interface ServerClient {
  readonly socket: WebSocket;
  readonly received: string[];
  readonly closed: Promise<number>;
}

interface LifecycleServer {
  readonly origin: string;
  readonly clients: ServerClient[];
  /** Resolves with connection number `index` (0 for the first) once it is there. */
  client(index: number): Promise<ServerClient>;
  /** Whether the server answers `ping` with `pong`. */
  answering: boolean;
  close(): Promise<void>;
}

async function startLifecycleServer(script: string): Promise<LifecycleServer> {
  const http: Server = createServer((request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(
      request.url === '/elsewhere'
        ? '<!doctype html><title>elsewhere</title>'
        : `<!doctype html><title>lifecycle</title><script>${script}</script>`,
    );
  });
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  const clients: ServerClient[] = [];
  const waiting: (() => void)[] = [];
  const state = {
    answering: true,
  };
  wss.on('connection', (socket) => {
    const received: string[] = [];
    socket.on('message', (data) => {
      const text = (data as Buffer).toString();
      received.push(text);
      if (text === 'ping' && state.answering) socket.send('pong');
    });
    clients.push({ socket, received, closed: new Promise((done) => socket.on('close', (code) => done(code))) });
    for (const wake of waiting.splice(0)) wake();
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    clients,
    get answering() {
      return state.answering;
    },
    set answering(value) {
      state.answering = value;
    },
    async client(index) {
      while (clients.length <= index) await new Promise<void>((wake) => waiting.push(wake));
      return clients[index] as ServerClient;
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((done) => http.close(() => done()));
    },
  };
}

/** The page's script, bundled. */
async function bundlePageScript(): Promise<string> {
  const bundle = await build({
    absWorkingDir: ROOT,
    stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    write: false,
    logLevel: 'silent',
    alias: { 'rx-websocket': join(ROOT, 'lib', 'index.ts') },
  });
  return bundle.outputFiles[0]?.text ?? '';
}

requireSystem('chromium').describe('the page lifecycle in Chromium', (chromiumPath) => {
  let server: LifecycleServer;
  let browser: Browser;
  let page: Page;

  const log = (): Promise<string[]> =>
    page.evaluate(() => (window as unknown as { lifecycleLog: string[] }).lifecycleLog);
  const waitForLog = (entry: string, timeout = 10_000): Promise<unknown> =>
    page.waitForFunction(
      (wanted) => (window as unknown as { lifecycleLog: string[] }).lifecycleLog.includes(wanted),
      entry,
      { timeout, polling: 20 },
    );

  beforeAll(async () => {
    server = await startLifecycleServer(await bundlePageScript());
    browser = await launchChromium(chromiumPath, { backForwardCache: true, backgroundThrottling: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 30_000);

  beforeEach(async () => {
    server.clients.length = 0;
    server.answering = true;
    page = await browser.newPage();
    await page.goto(`${server.origin}/`);
  });

  afterEach(async () => {
    await page.close();
  });

  it('a page restored from the back/forward cache reconnects; the server saw its socket close with 1001', async () => {
    await page.evaluate(() => (window as unknown as { startSocket(settings: object): void }).startSocket({}));
    const first = await server.client(0);
    await waitForLog('state open');
    await page.goto(`${server.origin}/elsewhere`);
    await page.goBack({ waitUntil: 'commit' });
    await waitForLog('pageshow true');
    await server.client(1);
    await page.waitForFunction(
      () =>
        (window as unknown as { lifecycleLog: string[] }).lifecycleLog.filter((e) => e === 'state open').length === 2,
      undefined,
      { timeout: 10_000, polling: 20 },
    );
    const entries = await log();
    // Held closed while cached (no attempt), then connected again at once as the page came back, not after the
    // backoff (a minute).
    expect(entries.slice(entries.indexOf('pagehide true')).filter((entry) => entry.startsWith('state'))).toEqual([
      'state reconnecting',
      'state connecting',
      'state open',
    ]);
    expect(server.clients).toHaveLength(2);
    // The browser closed the cached page's socket with 1001 (Going Away).
    expect(await first.closed).toBe(1001);
  });
});

/** Reads the page's log. */
const readLog = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { lifecycleLog: string[] }).lifecycleLog);

/** Resolves once the page's log holds `count` entries equal to `entry`. */
const logged = (page: Page, entry: string, count = 1, timeout = 10_000): Promise<unknown> =>
  page.waitForFunction(
    ([wanted, times]) =>
      (window as unknown as { lifecycleLog: string[] }).lifecycleLog.filter((e) => e === wanted).length >= times,
    [entry, count] as const,
    { timeout, polling: 20 },
  );

/** The `detail` entries (status, attempt, delay, last close) logged after the first `after` entry. */
const detailsAfter = (entries: readonly string[], after: string): string[] =>
  entries.slice(entries.indexOf(after)).filter((entry) => entry.startsWith('detail '));

requireSystem('chromium').describe('the page lifecycle in a background tab of Chromium', (chromiumPath) => {
  let server: LifecycleServer;
  let proxy: TcpProxy;
  let chromium: TabbedChromium;
  let page: Page;

  const start = (settings: object): Promise<void> =>
    page.evaluate(
      (given) => (window as unknown as { startSocket(settings: object): void }).startSocket(given),
      settings,
    );

  beforeAll(async () => {
    server = await startLifecycleServer(await bundlePageScript());
    proxy = await startTcpProxy(Number(new URL(server.origin).port));
    chromium = await launchTabbedChromium(chromiumPath);
    ({ page } = chromium);
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await proxy?.close();
    await server?.close();
  }, 30_000);

  /** Connections the proxy had accepted before the spec. */
  let acceptedBefore = 0;

  beforeEach(async () => {
    server.clients.length = 0;
    server.answering = true;
    acceptedBefore = proxy.accepted;
    await chromium.show();
    await page.goto(`${server.origin}/`);
    expect(await page.evaluate(() => document.visibilityState)).toBe('visible');
  });

  afterEach(async () => {
    // A new document for the next spec: this one's socket is let go with it.
    await chromium.show();
    await page.goto(`${server.origin}/elsewhere`);
  });

  /** Details from the first `after` entry on, once the connection is open for the `count`th time. */
  const reopened = async (after: string, count = 2): Promise<string[]> => {
    await logged(page, 'state open', count);
    return detailsAfter(await readLog(page), after);
  };

  describe('when the connection died while the page was hidden', () => {
    it('reconnects as the page becomes visible, the attempt count reset', async () => {
      await start({ url: proxy.url });
      await logged(page, 'state open');
      await chromium.hide();
      await logged(page, 'visibilitychange hidden');
      // The network goes, without a close frame: the page waits out the backoff (a minute).
      proxy.cutAll();
      await logged(page, 'detail reconnecting 1 60000 1006 ');
      await chromium.show();
      // Back at once, as a first connection: only the lifecycle explains it, the backoff having a minute to run.
      expect(await reopened('visibilitychange visible')).toEqual(['detail connecting 0 -', 'detail open - -']);
      expect(proxy.accepted - acceptedBefore).toBe(2);
    });
  });

  describe('when the connection died while the page was frozen', () => {
    it('reconnects as the page resumes, the attempt count reset', async () => {
      await start({ url: proxy.url });
      await logged(page, 'state open');
      await chromium.hide();
      await logged(page, 'visibilitychange hidden');
      await chromium.freeze();
      await logged(page, 'freeze hidden');
      proxy.cutAll();
      await chromium.resume();
      // The close queued while frozen is delivered after `resume`; the reconnection follows it at once, the page
      // still hidden.
      expect(await reopened('resume hidden')).toEqual([
        'detail reconnecting 1 60000 1006 ',
        'detail connecting 0 -',
        'detail open - -',
      ]);
      expect(await page.evaluate(() => document.visibilityState)).toBe('hidden');
      expect(proxy.accepted - acceptedBefore).toBe(2);
    });
  });

  describe('when a background tab throttles its timers', () => {
    it('keeps a heartbeat against a live server going, never reporting the connection dead', async () => {
      await start({ heartbeat: { intervalMs: 100, timeoutMs: 100, ping: 'ping' } });
      await logged(page, 'state open');
      const client = await server.client(0);
      await chromium.hide();
      await logged(page, 'visibilitychange hidden');
      const pingsWhenHidden = client.received.length;
      // The page's own timers, set for 100 ms, measure the throttling: wait until ten have fired at least twice as
      // late as set (the heartbeat's timers, set for the same 100 ms, fired as late).
      await page.evaluate(() => (window as unknown as { probeTimers(delayMs: number): void }).probeTimers(100));
      await page.waitForFunction(
        () => (window as unknown as { timerLateness: number[] }).timerLateness.filter((ms) => ms >= 100).length >= 10,
        undefined,
        { timeout: 30_000, polling: 100 },
      );
      expect(await page.evaluate(() => document.visibilityState)).toBe('hidden');
      const entries = await readLog(page);
      expect(entries.filter((entry) => entry.startsWith('error '))).toEqual([]);
      expect(entries.filter((entry) => entry.startsWith('state ')).slice(-1)).toEqual(['state open']);
      expect(server.clients).toHaveLength(1);
      // The heartbeat went on pinging while hidden, and every ping was answered.
      expect(client.received.length).toBeGreaterThan(pingsWhenHidden);
      expect(client.received.every((text) => text === 'ping')).toBe(true);
    }, 40_000);
  });

  describe('with hiddenCloseAfterMs', () => {
    it('closes a page hidden longer with 1000 "page hidden", and reconnects as it becomes visible', async () => {
      await start({ hiddenCloseAfterMs: 300 });
      await logged(page, 'state open');
      const first = await server.client(0);
      await chromium.hide();
      await logged(page, 'detail reconnecting 0 Infinity 1000 page hidden');
      expect(await first.closed).toBe(1000);
      // Held closed while hidden: no attempt.
      expect(server.clients).toHaveLength(1);
      await chromium.show();
      expect(await reopened('visibilitychange visible')).toEqual(['detail connecting 0 -', 'detail open - -']);
      expect(server.clients).toHaveLength(2);
    });
  });
});
