/**
 * The Angular example (examples/angular) in a real Chromium, against the dashboard's feed: the service's state
 * signal drives the badge, multiplexed channels fill the table, and faults on the server show as the library
 * reconnecting. Every wait is for something the page shows, with a bound; none is a fixed sleep.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';
import { startAngularExample, type AngularExample } from '../../../examples/angular/server';
import { startDashboard, type Dashboard } from '../../../examples/dashboard/server';

const CHANNELS = ['BTC-USD', 'ETH-USD', 'cpu'];

/** The statuses the badge has shown since {@link recordStatuses}. */
interface StatusRecorder {
  __statuses: string[];
  __observer?: MutationObserver;
}

/** Installed in the page before it loads. */
interface BadgeReader {
  __readBadge(): string;
}

requireSystem('chromium').describe('the Angular example in Chromium', (chromiumPath) => {
  let feed: Dashboard | undefined;
  let example: AngularExample | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let feedOrigin: string;
  const sockets: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [feed, example] = await Promise.all([
      startDashboard({ port: 0, host: '127.0.0.1', log: false }),
      startAngularExample({ port: 0, host: '127.0.0.1', sourcemap: false }),
    ]);
    feedOrigin = `http://127.0.0.1:${feed.port}`;
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage();
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.addInitScript(() => {
      (window as unknown as BadgeReader).__readBadge = () =>
        ['status-name', 'status-detail']
          .map((id) => document.querySelector(`[data-testid="status"] [data-testid="${id}"]`)?.textContent?.trim())
          .filter((part) => part)
          .join(' · ');
    });
    await page.goto(`http://127.0.0.1:${example.port}/?fast=1&ws=ws://127.0.0.1:${feed.port}/ws`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([example?.stop(), feed?.stop()]);
  }, 30_000);

  const text = async (testId: string): Promise<string> =>
    ((await page.locator(`[data-testid="${testId}"]`).textContent()) ?? '').trim();

  /** What the badge says, as `status · detail`: Angular drops the whitespace between its elements. */
  const badge = (): Promise<string> => page.evaluate(() => (window as unknown as BadgeReader).__readBadge());

  /** Waits for the badge to show `status`; on a timeout, says what it shows instead. */
  const waitForStatus = async (status: string, timeout = 10_000): Promise<void> => {
    try {
      await page.waitForSelector(`[data-testid="status"][data-status="${status}"]`, { timeout });
    } catch (error) {
      const shown = await badge().catch(() => '(no badge)');
      throw new Error(`the badge did not show "${status}" within ${timeout} ms; it shows "${shown}"`, { cause: error });
    }
  };

  /** Waits until every channel's tick count has grown by `more` from what it shows now. */
  const waitForTicks = async (more = 5, timeout = 5_000): Promise<void> => {
    const before = await Promise.all(CHANNELS.map(async (channel) => Number(await text(`count-${channel}`))));
    await page.waitForFunction(
      ({ channels, before, more }) =>
        channels.every(
          (channel, index) =>
            Number(document.querySelector(`[data-testid="count-${channel}"]`)?.textContent) >= before[index]! + more,
        ),
      { channels: CHANNELS, before, more },
      { timeout, polling: 50 },
    );
  };

  /** Starts recording every status the badge shows, with its details, from the current one on. */
  const recordStatuses = (): Promise<void> =>
    page.evaluate(() => {
      const recorder = window as unknown as StatusRecorder & BadgeReader;
      recorder.__observer?.disconnect();
      const element = document.querySelector('[data-testid="status"]');
      if (!element) throw new Error('no status badge');
      recorder.__statuses = [recorder.__readBadge()];
      recorder.__observer = new MutationObserver(() => {
        const now = recorder.__readBadge();
        if (now !== recorder.__statuses[recorder.__statuses.length - 1]) recorder.__statuses.push(now);
      });
      recorder.__observer.observe(element, { subtree: true, childList: true, characterData: true, attributes: true });
    });

  const recordedStatuses = (): Promise<string[]> =>
    page.evaluate(() => (window as unknown as StatusRecorder).__statuses);

  /** Waits until the badge has shown `reconnecting` and is `open` again. */
  const waitForRecovery = (timeout = 10_000): Promise<unknown> =>
    page.waitForFunction(
      () =>
        document.querySelector<HTMLElement>('[data-testid="status"]')?.dataset.status === 'open' &&
        (window as unknown as StatusRecorder).__statuses.some((status) => status.startsWith('reconnecting ·')),
      undefined,
      { timeout, polling: 50 },
    );

  const postFault = async (path: string): Promise<void> => {
    const response = await fetch(`${feedOrigin}${path}`, { method: 'POST' });
    expect(response.status).toBeLessThan(300);
  };

  it('shows the badge open with the negotiated sub-protocol, and the latest value of each channel', async () => {
    await waitForStatus('open');
    expect(await badge()).toBe('open · dashboard.v1');
    await waitForTicks();
    for (const channel of CHANNELS) expect(await text(`value-${channel}`)).toMatch(/^[\d,]+\.\d+ \S+$/);
    expect(await text('server-instance')).toBe('server instance #1');
    expect(sockets).toEqual([`ws://127.0.0.1:${feed?.port}/ws`]);
  });

  it('after a drop (1006), shows reconnecting with the attempt and its delay, then open with values flowing', async () => {
    await waitForStatus('open');
    await recordStatuses();
    await postFault('/fault/drop');
    await waitForRecovery();
    await waitForTicks();
    const statuses = await recordedStatuses();
    expect(statuses).toContain('reconnecting · attempt 1 in 300 ms');
    expect(statuses[statuses.length - 1]).toMatch(/^open/);
  }, 20_000);

  it('reconnects at once from the button, on a new socket', async () => {
    await waitForStatus('open');
    const before = sockets.length;
    const opened = page.waitForEvent('websocket', { timeout: 5_000 });
    await page.click('[data-testid="reconnect"]');
    await opened;
    await waitForStatus('open');
    await waitForTicks();
    expect(sockets.length).toBe(before + 1);
  }, 15_000);

  it('after a close with a stop code (4001), shows closed with the code, and connects again from the button', async () => {
    await waitForStatus('open');
    await postFault('/fault/close?code=4001');
    await waitForStatus('closed');
    expect(await badge()).toBe('closed · 4001 unauthorized');
    expect(await text('reconnect')).toBe('Connect');
    await page.click('[data-testid="reconnect"]');
    await waitForStatus('open');
    await waitForTicks();
  }, 15_000);

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
