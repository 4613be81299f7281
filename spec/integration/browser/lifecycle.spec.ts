/**
 * The page lifecycle in a real Chromium against a real `ws` server on 127.0.0.1: a page restored from the
 * back/forward cache reconnects at once (the server having seen its socket close with 1001). Every wait is for an
 * event, bounded by a timeout.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import { launchChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';

const ROOT = resolve(__dirname, '..', '..', '..');

/** The page's script: the library as an application bundles it, and a socket made from what the test asks. */
const PAGE_SCRIPT = `
import { constantBackoff, fromWebSocket, heartbeat, pageLifecycle } from 'rx-websocket';
const log = (window.lifecycleLog = []);
for (const type of ['pageshow', 'pagehide']) addEventListener(type, (event) => log.push(type + ' ' + event.persisted));
for (const type of ['freeze', 'resume', 'visibilitychange'])
  document.addEventListener(type, () => log.push(type + ' ' + document.visibilityState));
window.startSocket = (settings) => {
  const socket = fromWebSocket('ws://' + location.host + '/ws', {
    ...(settings.lifecycle !== false && { lifecycle: pageLifecycle() }),
    reconnect: { backoff: constantBackoff({ delayMs: 60_000 }) },
    ...(settings.heartbeat && { heartbeat: heartbeat({ ...settings.heartbeat, isPong: (data) => data === 'pong' }) }),
  });
  socket.state$.subscribe((state) => log.push('state ' + state.status));
  socket.error$.subscribe((error) => log.push('error ' + error.code));
  socket.message$.subscribe();
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
    server = await startLifecycleServer(bundle.outputFiles[0]?.text ?? '');
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
