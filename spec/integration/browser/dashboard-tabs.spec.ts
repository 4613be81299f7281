/**
 * The dashboard's "share across tabs" switch in a real Chromium: several pages of the dashboard in one browser
 * context (one user's tabs), against its server on 127.0.0.1. With `?tabs=1` they share one feed connection, and
 * when the tab holding it closes, another takes over with every chart going on; without it, each page has its own.
 * Every wait is for something a page or the server shows, bounded by a timeout.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { keepFigures } from '../../helpers/figures';
import { launchChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';
import { startDashboard, type Dashboard } from '../../../examples/dashboard/server';

/** Every wait for a page: bounded, polled often enough to see each change. */
const WAIT = { timeout: 15_000, polling: 50 };
const PAGES = 3;

/** What a channel card shows, read from its data attributes. */
interface CardState {
  readonly channel: string;
  readonly reconnection: string;
  readonly reconnections: number;
  readonly recovered: number;
  readonly missed: number;
  readonly gaps: number;
  readonly duplicates: number;
  readonly received: number;
  readonly breaks: number;
  /** The footer's text about the last reconnection. */
  readonly note: string;
  /** The last value shown, `—` before any. */
  readonly value: string;
}

/** A page of the dashboard, and the feed sockets Chromium saw it open. */
interface Tab {
  readonly page: Page;
  readonly sockets: string[];
}

/** What the pages' real WebSockets received, as Chromium reports it. */
interface Wire {
  frames: number;
  bytes: number;
}

/** A page's status badge since {@link recordStatuses}: each status and when it came (epoch ms). */
interface StatusRecorder {
  __statuses?: { readonly status: string; readonly at: number }[];
}

requireSystem('chromium').describe('the dashboard in Chromium, shared across tabs', (chromiumPath) => {
  let dashboard: Dashboard | undefined;
  let browser: Browser | undefined;
  let origin = '';
  const pageErrors: string[] = [];
  /** Kept in test-artifacts/browser/dashboard-tabs.json, for the README; not asserted. */
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    dashboard = await startDashboard({ port: 0, host: '127.0.0.1', log: false });
    origin = `http://127.0.0.1:${dashboard.port}`;
    browser = await launchChromium(chromiumPath);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  }, 30_000);

  /** How many connections the feed server has, as its stats endpoint says. */
  const serverConnections = async (): Promise<number> => {
    const status = (await (await fetch(`${origin}/api/status`)).json()) as { feedConnections?: unknown };
    return Number(status.feedConnections);
  };

  const waitForOpen = async (page: Page): Promise<void> => {
    await page.waitForSelector('[data-testid="state"][data-status="open"]', { timeout: WAIT.timeout });
  };

  /**
   * Opens `count` pages of the dashboard with `query` in `context`, one after the other, each open before the next;
   * what their real WebSockets receive is counted in `wire`.
   */
  async function openTabs(context: BrowserContext, count: number, query: string, wire?: Wire): Promise<Tab[]> {
    const tabs: Tab[] = [];
    for (let i = 0; i < count; i++) {
      const page = await context.newPage();
      const sockets: string[] = [];
      page.on('websocket', (socket) => {
        sockets.push(socket.url());
        socket.on('framereceived', ({ payload }) => {
          if (!wire) return;
          wire.frames++;
          wire.bytes += Buffer.byteLength(payload);
        });
      });
      page.on('pageerror', (error) => pageErrors.push(`page ${i + 1}: ${error.message}`));
      await page.goto(`${origin}/${query}`);
      await waitForOpen(page);
      tabs.push({ page, sockets });
    }
    return tabs;
  }

  const feedSockets = (tab: Tab): string[] =>
    tab.sockets.filter((url) => url === `${origin.replace('http', 'ws')}/feed`);

  const cards = (page: Page): Promise<CardState[]> =>
    page.$$eval('[data-testid="channels"] > [data-channel]', (elements) =>
      elements.map((element) => {
        const data = (element as HTMLElement).dataset;
        return {
          channel: data.channel ?? '',
          reconnection: data.reconnection ?? '',
          reconnections: Number(data.reconnections),
          recovered: Number(data.recovered),
          missed: Number(data.missed),
          gaps: Number(data.gaps),
          duplicates: Number(data.duplicates),
          received: Number(data.received),
          breaks: Number(data.breaks),
          note: element.querySelector('.missed')?.textContent ?? '',
          value: element.querySelector('.value')?.textContent ?? '',
        };
      }),
    );

  /** Waits until every card of the page has drawn at least `atLeast` messages, and shows a value. */
  const waitForCharts = async (page: Page, atLeast: number): Promise<void> => {
    await page.waitForFunction(
      (atLeast) => {
        const all = [...document.querySelectorAll<HTMLElement>('[data-testid="channels"] > [data-channel]')];
        return (
          all.length === 7 &&
          all.every(
            (card) =>
              Number(card.dataset.received) >= atLeast && card.querySelector('.value')?.textContent?.match(/\d/),
          )
        );
      },
      atLeast,
      WAIT,
    );
  };

  /** Waits until the page shows the server's count of feed connections as `count`. */
  const waitForCount = async (page: Page, count: number): Promise<void> => {
    await page.waitForSelector(`[data-testid="feed-connections"][data-connections="${count}"]`, {
      timeout: WAIT.timeout,
    });
  };

  const text = async (page: Page, testId: string): Promise<string> =>
    (await page.locator(`[data-testid="${testId}"]`).textContent()) ?? '';

  const btcCount = (page: Page): Promise<number> =>
    page.$eval('[data-channel="BTC-USD"]', (card) => Number((card as HTMLElement).dataset.received));

  /**
   * The browser's traffic while a page charts 100 more BTC-USD messages (two seconds of it): frames its WebSockets
   * received per message a page charted (each tab charts every message), and bytes a second.
   */
  const measureTraffic = async (page: Page, wire: Wire): Promise<{ framesPerMessage: number; bytesPerS: number }> => {
    const [frames, bytes, from, since] = [wire.frames, wire.bytes, await btcCount(page), Date.now()];
    await page.waitForFunction(
      (target) => Number(document.querySelector<HTMLElement>('[data-channel="BTC-USD"]')?.dataset.received) >= target,
      from + 100,
      WAIT,
    );
    // All seven channels publish 250 messages a second together, BTC-USD 50 of them.
    const charted = ((await btcCount(page)) - from) * 5;
    return {
      framesPerMessage: (wire.frames - frames) / charted,
      bytesPerS: Math.round(((wire.bytes - bytes) * 1_000) / (Date.now() - since)),
    };
  };

  /** Starts recording, in each page, every status its badge shows and when. */
  const recordStatuses = async (page: Page): Promise<void> => {
    await page.evaluate(() => {
      const recorder = window as unknown as StatusRecorder;
      const badge = document.querySelector<HTMLElement>('[data-testid="state"]');
      if (!badge) throw new Error('no status badge');
      recorder.__statuses = [];
      new MutationObserver(() =>
        recorder.__statuses?.push({
          status: badge.dataset.status ?? '',
          at: performance.timeOrigin + performance.now(),
        }),
      ).observe(badge, { attributes: true, attributeFilter: ['data-status'] });
    });
  };

  /** When the page was open again after its first status other than open since {@link recordStatuses} (epoch ms). */
  const reopenedAt = (page: Page): Promise<number> =>
    page.evaluate(() => {
      const statuses = (window as unknown as StatusRecorder).__statuses ?? [];
      const down = statuses.findIndex((entry) => entry.status !== 'open');
      return statuses.slice(down).find((entry) => entry.status === 'open')?.at ?? Number.NaN;
    });

  afterAll(() => keepFigures('dashboard-tabs', figures, 'browser'));

  describe('with ?tabs=1', () => {
    let context: BrowserContext;
    let tabs: Tab[] = [];
    const wire: Wire = { frames: 0, bytes: 0 };

    beforeAll(async () => {
      context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    });

    afterAll(() => context?.close());

    it(`${PAGES} pages make one feed connection, every page says so, and every page's charts fill`, async () => {
      tabs = await openTabs(context, PAGES, '?fast=1&tabs=1', wire);
      // Only the first page (the leader) opened a WebSocket; the others go through it.
      expect(tabs.map((tab) => feedSockets(tab).length)).toEqual([1, 0, 0]);
      for (const { page } of tabs) {
        await waitForCount(page, 1);
        expect(await text(page, 'feed-connections')).toBe('server: 1 connection');
        expect(await page.isChecked('[data-testid="tabs-toggle"]')).toBe(true);
        expect(await page.getAttribute('[data-testid="tabs"]', 'data-mode')).toBe('shared');
        expect(await text(page, 'tabs')).toBe("one socket for this origin's tabs");
      }
      for (const { page } of tabs) await waitForCharts(page, 20);
      expect(await serverConnections()).toBe(1);
      figures.shared = { pages: PAGES, connections: 1, ...(await measureTraffic((tabs[PAGES - 1] as Tab).page, wire)) };
    }, 60_000);

    it('when the page holding the connection closes, another takes over: one new connection, and every card of the others goes on, recovered, with no gap or duplicate', async () => {
      const [leader, ...others] = tabs as [Tab, ...Tab[]];
      expect(others).toHaveLength(PAGES - 1);
      for (const { page } of others) await waitForCharts(page, 20);
      const before = await Promise.all(others.map(({ page }) => cards(page)));
      for (const { page } of others) await recordStatuses(page);
      const since = Date.now();
      await leader.page.close();
      for (const [i, { page }] of others.entries()) {
        // Each card through one more reconnection (its channel resumed), and 20 more messages drawn since.
        await page.waitForFunction(
          (before) =>
            before.every(({ channel, reconnections, received }) => {
              const data = document.querySelector<HTMLElement>(`[data-channel="${channel}"]`)?.dataset;
              return Number(data?.reconnections) > reconnections && Number(data?.received) >= received + 20;
            }),
          before[i] ?? [],
          WAIT,
        );
      }
      let recovered = 0;
      for (const [i, { page }] of others.entries()) {
        for (const card of await cards(page)) {
          const earlier = before[i]?.find((each) => each.channel === card.channel);
          expect(card).toMatchObject({
            channel: card.channel,
            reconnection: 'recovered',
            note: `recovered ${card.recovered}`,
            reconnections: (earlier?.reconnections ?? 0) + 1,
            missed: 0,
            gaps: 0,
            duplicates: 0,
          });
          // The line goes on across the handover: no new break in it.
          expect({ channel: card.channel, breaks: card.breaks }).toEqual({
            channel: card.channel,
            breaks: earlier?.breaks ?? 0,
          });
          recovered += card.recovered;
        }
      }
      // What was published during the handover was replayed.
      expect(recovered).toBeGreaterThan(0);
      figures.handover = {
        what: 'from the page holding the connection closing to every other page open again (?fast=1: retry after 125-250 ms)',
        ms: Math.max(...(await Promise.all(others.map(({ page }) => reopenedAt(page))))) - since,
        recoveredPerPage: recovered / others.length,
      };
      // One of the other pages opened the new connection; the server has that one only.
      expect(others.map((tab) => feedSockets(tab).length).sort()).toEqual([0, 1]);
      for (const { page } of others) await waitForCount(page, 1);
      expect(await serverConnections()).toBe(1);
    }, 60_000);
  });

  describe('without ?tabs=1', () => {
    let context: BrowserContext;

    beforeAll(async () => {
      context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    });

    afterAll(() => context?.close());

    it(`${PAGES} pages make ${PAGES} feed connections, and every page says so`, async () => {
      const wire: Wire = { frames: 0, bytes: 0 };
      const tabs = await openTabs(context, PAGES, '?fast=1', wire);
      expect(tabs.map((tab) => feedSockets(tab).length)).toEqual([1, 1, 1]);
      for (const { page } of tabs) {
        await waitForCount(page, PAGES);
        expect(await text(page, 'feed-connections')).toBe(`server: ${PAGES} connections`);
        expect(await page.isChecked('[data-testid="tabs-toggle"]')).toBe(false);
        expect(await page.getAttribute('[data-testid="tabs"]', 'data-mode')).toBe('own');
        expect(await text(page, 'tabs')).toBe('a socket per tab');
      }
      for (const { page } of tabs) await waitForCharts(page, 20);
      expect(await serverConnections()).toBe(PAGES);
      figures.own = {
        pages: PAGES,
        connections: PAGES,
        ...(await measureTraffic((tabs[PAGES - 1] as Tab).page, wire)),
      };
      await Promise.all(tabs.map(({ page }) => page.close()));
    }, 60_000);

    it('the switch reloads the page with ?tabs=1, sharing, and back without it', async () => {
      const [tab] = await openTabs(context, 1, '?fast=1');
      const page = (tab as Tab).page;
      await Promise.all([
        page.waitForURL(/[?&]tabs=1(&|$)/, { timeout: WAIT.timeout }),
        page.click('[data-testid="tabs-toggle"]'),
      ]);
      await waitForOpen(page);
      expect(new URL(page.url()).searchParams.get('fast')).toBe('1');
      expect(await page.isChecked('[data-testid="tabs-toggle"]')).toBe(true);
      expect(await page.getAttribute('[data-testid="tabs"]', 'data-mode')).toBe('shared');
      await Promise.all([
        page.waitForURL((url) => !url.searchParams.has('tabs'), { timeout: WAIT.timeout }),
        page.click('[data-testid="tabs-toggle"]'),
      ]);
      await waitForOpen(page);
      expect(await page.getAttribute('[data-testid="tabs"]', 'data-mode')).toBe('own');
      await page.close();
    }, 30_000);
  });

  it('raised no uncaught errors in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
