/**
 * The Angular CLI example (examples/angular), built by the test run (AOT, strictTemplates, server and browser
 * bundles) and served by its own server, which renders each page on the server; Chromium then hydrates it. It uses
 * rx-websocket/angular by package name against the dashboard's feed, whose fault endpoints make the badge move.
 *
 * Every wait is for something the page or a server shows, with a bound; none is a fixed sleep.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../../helpers/child';
import { launchChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';
import { startServer, type ServerClient, type TestServer } from '../../helpers/ws-server';
import { startDashboard, type Dashboard } from '../../../examples/dashboard/server';

const CHANNELS = ['BTC-USD', 'ETH-USD', 'cpu'];
const BURST = 300;
const SERVER_BUNDLE = join(ROOT, '.tmp', 'angular-example', 'dist', 'server', 'server.mjs');

/** What the probe loaded into the example's server reports. */
interface ProbeReport {
  readonly pendingTimers: string[];
  readonly connections: number;
}

/** The example's server, rendering pages, with the probe that counts its timers and outgoing connections. */
interface ExampleServer {
  readonly url: string;
  probe(): Promise<ProbeReport>;
  stop(): Promise<void>;
}

async function startExampleServer(): Promise<ExampleServer> {
  const probe = pathToFileURL(join(__dirname, 'ssr-probe.mjs')).href;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', probe, SERVER_BUNDLE], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
  });
  const errors: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const lines: Interface = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const buffered: string[] = [];
  lines.on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else buffered.push(line);
  });
  const nextLine = (what: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const early = buffered.shift();
      if (early !== undefined) return resolve(early);
      const timer = setTimeout(
        () => reject(new Error(`the example's server gave no ${what} within 20 s; stderr: ${errors.join('')}`)),
        20_000,
      );
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const listening = await nextLine('address');
  const url = /listening on (http:\/\/\S+)/.exec(listening)?.[1];
  if (!url) throw new Error(`unexpected first line from the example's server: ${listening}`);
  return {
    url,
    probe: async () => {
      child.stdin.write('report\n');
      return JSON.parse(await nextLine('probe report')) as ProbeReport;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Installed in every page before it loads. */
interface PageProbe {
  __readBadge(): string;
  __statuses: string[];
  __observer?: MutationObserver;
  /** Server-rendered headings removed from the page: a client render that threw the server's DOM away. */
  __removedHeadings: number;
  ngRenderCount?: number;
}

requireSystem('chromium').describe('the Angular CLI example', (chromiumPath) => {
  let feed: Dashboard | undefined;
  let burst: TestServer | undefined;
  let example: ExampleServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // Builds the library, installs the example's own dependencies when needed (npm ci) and builds it (ng build).
    const setup = spawnSync(process.execPath, [join(ROOT, 'examples', 'angular', 'setup.mjs')], {
      encoding: 'utf8',
      timeout: 540_000,
    });
    if (setup.status !== 0) throw new Error(`examples/angular/setup.mjs failed:\n${setup.stdout}\n${setup.stderr}`);
    [feed, burst, example] = await Promise.all([
      startDashboard({ port: 0, host: '127.0.0.1', log: false }),
      startServer(),
      startExampleServer(),
    ]);
    browser = await launchChromium(chromiumPath);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([example?.stop(), feed?.stop(), burst?.close()]);
  }, 30_000);

  const pageUrl = (extra = ''): string =>
    `${example?.url}?fast=1&ws=ws://127.0.0.1:${feed?.port}/ws&burst=ws://127.0.0.1:${burst?.port}/burst${extra}`;

  describe('rendered on the server', () => {
    it('completes at once with the socket idle: nothing connects and no timer is left running', async () => {
      const started = performance.now();
      const response = await fetch(pageUrl());
      const html = await response.text();
      const elapsedMs = performance.now() - started;

      expect(response.status).toBe(200);
      // Far below any stability timeout: nothing keeps the application busy on the server.
      expect(elapsedMs).toBeLessThan(5_000);
      expect(html).toMatch(/data-testid="status"[^>]*data-status="idle"/);
      expect(html).toContain('ngh=');
      expect(html).toContain('burst: none');
      const report = await example!.probe();
      expect(report).toEqual({ pendingTimers: [], connections: 0 });
      expect(burst?.clients).toHaveLength(0);
    });
  });

  /** One page of the example in Chromium, its errors, and helpers to read it. */
  function openExample(extra: string) {
    const state: { page?: Page; burstClient?: ServerClient } = {};
    const sockets: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      const page = (state.page = await browser!.newPage());
      page.on('websocket', (socket) => sockets.push(socket.url()));
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      await page.addInitScript(() => {
        const probe = window as unknown as PageProbe;
        probe.__readBadge = () =>
          ['status-name', 'status-detail']
            .map((id) => document.querySelector(`[data-testid="status"] [data-testid="${id}"]`)?.textContent?.trim())
            .filter((part) => part)
            .join(' · ');
        probe.__removedHeadings = 0;
        new MutationObserver((records) => {
          for (const record of records)
            for (const node of record.removedNodes)
              if (node instanceof Element && (node.matches('h1') || node.querySelector('h1')))
                probe.__removedHeadings++;
        }).observe(document, { subtree: true, childList: true });
      });
      const burstClient = burst!.nextClient();
      await page.goto(pageUrl(extra));
      state.burstClient = await burstClient;
    }, 60_000);

    afterAll(async () => {
      await state.page?.close();
    });

    const page = (): Page => state.page!;
    const text = async (testId: string): Promise<string> =>
      ((await page().locator(`[data-testid="${testId}"]`).textContent()) ?? '').trim();
    const badge = (): Promise<string> => page().evaluate(() => (window as unknown as PageProbe).__readBadge());
    const waitForStatus = async (status: string, timeout = 10_000): Promise<void> => {
      try {
        await page().waitForSelector(`[data-testid="status"][data-status="${status}"]`, { timeout });
      } catch (error) {
        const shown = await badge().catch(() => '(no badge)');
        throw new Error(`the badge did not show "${status}" within ${timeout} ms; it shows "${shown}"`, {
          cause: error,
        });
      }
    };
    const waitForTicks = async (more = 5, timeout = 5_000): Promise<void> => {
      const before = await Promise.all(CHANNELS.map(async (channel) => Number(await text(`count-${channel}`))));
      await page().waitForFunction(
        ({ channels, before, more }) =>
          channels.every(
            (channel, index) =>
              Number(document.querySelector(`[data-testid="count-${channel}"]`)?.textContent) >= before[index]! + more,
          ),
        { channels: CHANNELS, before, more },
        { timeout, polling: 50 },
      );
    };
    const recordStatuses = (): Promise<void> =>
      page().evaluate(() => {
        const probe = window as unknown as PageProbe;
        probe.__observer?.disconnect();
        const element = document.querySelector('[data-testid="status"]');
        if (!element) throw new Error('no status badge');
        probe.__statuses = [probe.__readBadge()];
        probe.__observer = new MutationObserver(() => {
          const now = probe.__readBadge();
          if (now !== probe.__statuses[probe.__statuses.length - 1]) probe.__statuses.push(now);
        });
        probe.__observer.observe(element, { subtree: true, childList: true, characterData: true, attributes: true });
      });
    const recordedStatuses = (): Promise<string[]> =>
      page().evaluate(() => (window as unknown as PageProbe).__statuses);
    const waitForRecovery = (timeout = 10_000): Promise<unknown> =>
      page().waitForFunction(
        () =>
          document.querySelector<HTMLElement>('[data-testid="status"]')?.dataset.status === 'open' &&
          (window as unknown as PageProbe).__statuses.some((status) => status.startsWith('reconnecting ·')),
        undefined,
        { timeout, polling: 50 },
      );
    /** Sends a burst of messages on the page's second socket; resolves with the renders it caused. */
    const rendersForBurst = async (): Promise<number> => {
      const before = await page().evaluate(() => (window as unknown as PageProbe).ngRenderCount ?? 0);
      const client = state.burstClient!;
      // One write per message, each after the last has gone out, so that they reach the page in many tasks.
      for (let n = 1; n <= BURST; n++) {
        client.socket.send(JSON.stringify({ n }));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await page().waitForSelector(`[data-testid="burst"]:text("burst: ${BURST}")`, { timeout: 10_000 });
      const after = await page().evaluate(() => (window as unknown as PageProbe).ngRenderCount ?? 0);
      return after - before;
    };
    return {
      page,
      sockets,
      pageErrors,
      text,
      badge,
      waitForStatus,
      waitForTicks,
      recordStatuses,
      recordedStatuses,
      waitForRecovery,
      rendersForBurst,
    };
  }

  const postFault = async (path: string): Promise<void> => {
    const response = await fetch(`http://127.0.0.1:${feed?.port}${path}`, { method: 'POST' });
    expect(response.status).toBeLessThan(300);
  };

  describe('zoneless, hydrated in Chromium', () => {
    const app = openExample('');

    it('hydrates the server-rendered page, then connects: the badge open with the sub-protocol, channels filling', async () => {
      await app.waitForStatus('open');
      expect(await app.badge()).toBe('open · dashboard.v1');
      await app.waitForTicks();
      for (const channel of CHANNELS) expect(await app.text(`value-${channel}`)).toMatch(/^[\d,]+\.\d+ \S+$/);
      expect(await app.text('server-instance')).toMatch(/^server instance #\d+$/);
      expect(await app.page().evaluate(() => (window as unknown as PageProbe).__removedHeadings)).toBe(0);
      expect(app.sockets).toEqual([`ws://127.0.0.1:${feed?.port}/ws`, `ws://127.0.0.1:${burst?.port}/burst`]);
    });

    it('after a drop (1006), shows reconnecting with the attempt and its countdown, then open with values flowing', async () => {
      await app.waitForStatus('open');
      await app.recordStatuses();
      await postFault('/fault/drop');
      await app.waitForRecovery();
      await app.waitForTicks();
      const statuses = await app.recordedStatuses();
      expect(statuses).toContain('reconnecting · attempt 1 in 300 ms');
      expect(statuses[statuses.length - 1]).toMatch(/^open/);
    }, 20_000);

    it('reconnects at once from the button, on a new socket', async () => {
      await app.waitForStatus('open');
      const before = app.sockets.length;
      const opened = app.page().waitForEvent('websocket', { timeout: 5_000 });
      await app.page().click('[data-testid="reconnect"]');
      await opened;
      await app.waitForStatus('open');
      await app.waitForTicks();
      expect(app.sockets.length).toBe(before + 1);
    }, 15_000);

    it('after a stop code (4001), shows closed with the code, and starts again from the button', async () => {
      await app.waitForStatus('open');
      await postFault('/fault/close?code=4001');
      await app.waitForStatus('closed');
      expect(await app.badge()).toBe('closed · 4001 unauthorized');
      expect(await app.text('reconnect')).toBe('Connect');
      await app.page().click('[data-testid="reconnect"]');
      await app.waitForStatus('open');
      // The channels subscribed again by themselves: their counts grow.
      await app.waitForTicks();
    }, 15_000);

    it(`renders a handful of times, not ${BURST}, for a burst of ${BURST} messages`, async () => {
      const renders = await app.rendersForBurst();
      expect(renders).toBeGreaterThanOrEqual(1);
      expect(renders).toBeLessThanOrEqual(20);
    }, 15_000);

    it('raised no errors in the page', () => {
      expect(app.pageErrors).toEqual([]);
    });
  });

  describe('with zone.js, hydrated in Chromium', () => {
    const app = openExample('&zone=1');

    it('connects and recovers from a drop the same way', async () => {
      await app.waitForStatus('open');
      await app.waitForTicks();
      await app.recordStatuses();
      await postFault('/fault/drop');
      await app.waitForRecovery();
      expect(await app.recordedStatuses()).toContain('reconnecting · attempt 1 in 300 ms');
      expect(await app.page().evaluate(() => typeof (window as { Zone?: unknown }).Zone)).toBe('function');
    }, 20_000);

    it(`renders a handful of times, not ${BURST}, for a burst of ${BURST} messages: socket events run outside the zone`, async () => {
      const renders = await app.rendersForBurst();
      expect(renders).toBeGreaterThanOrEqual(1);
      expect(renders).toBeLessThanOrEqual(20);
    }, 15_000);

    it('raised no errors in the page', () => {
      expect(app.pageErrors).toEqual([]);
    });
  });
});
