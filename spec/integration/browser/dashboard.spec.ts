/**
 * The dashboard (`npm start`) in a real Chromium: what a user sees while the server misbehaves.
 *
 * The tests share one page and run in order, like a user clicking through the fault controls; each waits for what
 * the page shows (with a bounded timeout), never for a fixed time.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium';
import { requireSystem } from '../../helpers/system';
import { startDashboard, type Dashboard } from '../../../examples/dashboard/server';

const ROOT = resolve(__dirname, '..', '..', '..');
/** Short enough to keep the suite quick, long enough that the first retry after 1012 (≥ 2 s) finds the port closed. */
const RESTART_DOWNTIME_MS = 3_000;

/** What a channel card shows, read from its data attributes. */
interface CardState {
  readonly channel: string;
  /** `resume` or `plain`. */
  readonly mode: string;
  /** What the last reconnection did: `recovered`, `resynced`, `missed`, or empty. */
  readonly reconnection: string;
  readonly reconnections: number;
  readonly recovered: number;
  readonly missed: number;
  readonly gaps: number;
  readonly duplicates: number;
  readonly received: number;
  /** Breaks (`null` points) in the series the chart draws. */
  readonly breaks: number;
  /** The footer's text about the last reconnection. */
  readonly note: string;
}

interface CloseRow {
  readonly code: string;
  /** `drop` for an open connection that closed, `failed-attempt` for one that never opened. */
  readonly kind: string;
  readonly decision: string;
  readonly text: string;
}

/** What the page's status badge has shown since {@link recordStatuses}, oldest first. */
interface StatusRecorder {
  __statuses: string[];
  __observer?: MutationObserver;
}

requireSystem('chromium').describe('the dashboard in Chromium', (chromiumPath) => {
  let dashboard: Dashboard | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let origin: string;
  const socketUrls: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dashboard = await startDashboard({
      port: 0,
      host: '127.0.0.1',
      restartDowntimeMs: RESTART_DOWNTIME_MS,
      log: false,
    });
    origin = `http://127.0.0.1:${dashboard.port}`;
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('websocket', (socket) => socketUrls.push(socket.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/?fast=1`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  }, 30_000);

  // ---- what the page shows ----------------------------------------------------------------------------------

  const text = async (testId: string): Promise<string> =>
    (await page.locator(`[data-testid="${testId}"]`).textContent()) ?? '';
  const numberIn = async (testId: string): Promise<number> => Number((await text(testId)).replace(/[^\d.]/g, ''));

  const waitForStatus = async (status: string, timeout = 10_000): Promise<void> => {
    await page.waitForFunction(
      (expected) => document.querySelector('[data-testid="state"]')?.textContent?.startsWith(expected) === true,
      status,
      { timeout, polling: 50 },
    );
  };

  /** Starts recording every status the badge shows, from the current one on. */
  const recordStatuses = async (): Promise<void> => {
    await page.evaluate(() => {
      const recorder = window as unknown as StatusRecorder;
      recorder.__observer?.disconnect();
      const badge = document.querySelector<HTMLElement>('[data-testid="state"]');
      if (!badge) throw new Error('no status badge');
      recorder.__statuses = [];
      // Each record's old value is the status before that change; the current status completes the sequence.
      recorder.__observer = new MutationObserver((records) => {
        for (const record of records) recorder.__statuses.push(record.oldValue ?? '');
      });
      recorder.__observer.observe(badge, {
        attributes: true,
        attributeFilter: ['data-status'],
        attributeOldValue: true,
      });
    });
  };

  const recordedStatuses = (): Promise<string[]> =>
    page.evaluate(() => {
      const recorder = window as unknown as StatusRecorder;
      const current = document.querySelector<HTMLElement>('[data-testid="state"]')?.dataset.status ?? '';
      return [...recorder.__statuses, current].filter((status, index, all) => index === 0 || status !== all[index - 1]);
    });

  /** Waits until the badge has shown `reconnecting` and is back to `open`. */
  const waitForRecovery = async (timeout: number): Promise<void> => {
    await page.waitForFunction(
      () => {
        const recorder = window as unknown as StatusRecorder;
        const current = document.querySelector<HTMLElement>('[data-testid="state"]')?.dataset.status;
        return current === 'open' && recorder.__statuses.includes('reconnecting');
      },
      undefined,
      { timeout, polling: 50 },
    );
  };

  /** Waits until the BTC-USD card has counted `more` messages beyond what it shows now. */
  const waitForMoreData = async (more = 20, timeout = 5_000): Promise<void> => {
    const before = await numberIn('count-BTC-USD');
    await page.waitForFunction(
      ({ before, more }) =>
        Number(document.querySelector('[data-testid="count-BTC-USD"]')?.textContent?.replace(/[^\d]/g, '')) >=
        before + more,
      { before, more },
      { timeout, polling: 50 },
    );
  };

  const closeRows = (): Promise<CloseRow[]> =>
    page.$$eval('[data-testid="close-log"] tr', (rows) =>
      rows.map((row) => ({
        code: (row as HTMLElement).dataset.code ?? '',
        kind: (row as HTMLElement).dataset.kind ?? '',
        decision: (row as HTMLElement).dataset.decision ?? '',
        text: row.textContent ?? '',
      })),
    );

  /** The close log rows added since it had `before` rows, oldest first (the page shows the newest on top). */
  const newCloseRows = async (before: number): Promise<CloseRow[]> => {
    const rows = await closeRows();
    return rows.slice(0, rows.length - before).reverse();
  };

  const postFault = async (path: string): Promise<void> => {
    const response = await fetch(`${origin}${path}`, { method: 'POST' });
    expect(response.status).toBeLessThan(300);
  };

  const cards = (): Promise<CardState[]> =>
    page.$$eval('[data-testid="channels"] > [data-channel]', (elements) =>
      elements.map((element) => {
        const data = (element as HTMLElement).dataset;
        return {
          channel: data.channel ?? '',
          mode: data.mode ?? '',
          reconnection: data.reconnection ?? '',
          reconnections: Number(data.reconnections),
          recovered: Number(data.recovered),
          missed: Number(data.missed),
          gaps: Number(data.gaps),
          duplicates: Number(data.duplicates),
          received: Number(data.received),
          breaks: Number(data.breaks),
          note: element.querySelector('.missed')?.textContent ?? '',
        };
      }),
    );

  /**
   * Triggers a fault, waits until every card has been through one more reconnection and has drawn 20 more messages,
   * and returns the cards before and after.
   */
  const cardsAcross = async (
    trigger: () => Promise<void>,
    timeout: number,
  ): Promise<{ before: CardState[]; after: CardState[] }> => {
    await waitForStatus('open');
    await waitForMoreData();
    const before = await cards();
    expect(before).toHaveLength(7);
    await trigger();
    await page.waitForFunction(
      (before) =>
        before.every(({ channel, reconnections, received }) => {
          const data = document.querySelector<HTMLElement>(`[data-channel="${channel}"]`)?.dataset;
          return Number(data?.reconnections) > reconnections && Number(data?.received) >= received + 20;
        }),
      before,
      { timeout, polling: 100 },
    );
    return { before, after: await cards() };
  };

  /** Triggers a fault and checks the client went through `reconnecting` back to `open`, logging `code` as retried. */
  const expectReconnectionAfter = async (
    trigger: () => Promise<void>,
    code: number,
    timeout: number,
  ): Promise<void> => {
    await waitForStatus('open');
    const rowsBefore = (await closeRows()).length;
    await recordStatuses();
    await trigger();
    await waitForRecovery(timeout);
    await waitForMoreData();
    expect(await recordedStatuses()).toEqual(expect.arrayContaining(['open', 'reconnecting', 'connecting']));
    const [first] = await newCloseRows(rowsBefore);
    expect(first).toMatchObject({ code: String(code), kind: 'drop', decision: 'reconnect' });
    expect(first?.text).toMatch(/reconnecting in \d+ ms/);
    expect(Number(await text('rate'))).toBeGreaterThan(0);
  };

  // ---- the tests --------------------------------------------------------------------------------------------

  it('shows live data: values change and the message rate is above zero', async () => {
    await waitForStatus('open');
    expect(await text('state')).toBe('open · no sub-protocol');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="last-value-BTC-USD"]')?.textContent !== '—',
      undefined,
      { timeout: 5_000 },
    );
    const first = await text('last-value-BTC-USD');
    await page.waitForFunction(
      (first) => document.querySelector('[data-testid="last-value-BTC-USD"]')?.textContent !== first,
      first,
      { timeout: 5_000, polling: 50 },
    );
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="rate"]')?.textContent) > 100,
      undefined,
      {
        timeout: 5_000,
        polling: 100,
      },
    );
    for (const channel of ['ETH-USD', 'EUR-USD', 'cpu', 'memory', 'latency-p99', 'requests']) {
      expect(await text(`last-value-${channel}`)).toMatch(/\d/);
    }
    expect(await text('server-instance')).toBe('#1');
  });

  it("talks to the server through the browser's native WebSocket", async () => {
    expect(socketUrls).toContain(`ws://127.0.0.1:${dashboard?.port}/feed`);
    expect(await page.evaluate(() => Function.prototype.toString.call(WebSocket).includes('[native code]'))).toBe(true);
  });

  it('ships a bundle without Node built-ins: isomorphic-ws resolves to the browser WebSocket', async () => {
    // Relative to the repository, also when node_modules is a link to a shared install elsewhere.
    const inputs = Object.keys(dashboard?.bundle.metafile.inputs ?? {}).map((input) =>
      input.replace(/^(?:\.\.\/)+(?:[^/]+\/)*?node_modules\//, 'node_modules/'),
    );
    expect(inputs).toContain('node_modules/isomorphic-ws/browser.js');
    expect(inputs).toContain('lib/index.ts');
    expect(inputs.filter((input) => /node_modules\/ws\/|isomorphic-ws\/node\.js|^node:/.test(input))).toEqual([]);
    const imports = Object.values(dashboard?.bundle.metafile.inputs ?? {}).flatMap((input) => input.imports);
    // esbuild lists an import it elided (type-only, such as `import { type X } from './x'`) as external; a package
    // or built-in left external would be a `require` the browser cannot satisfy.
    expect(imports.filter((entry) => entry.external === true && !entry.path.startsWith('.'))).toEqual([]);

    const served = await (await fetch(`${origin}/app.js`)).text();
    // Only the offending snippets are compared, so that a failure does not print the whole bundle.
    expect(served.match(/\brequire\(\s*["'][^"']*["']\s*\)/g) ?? []).toEqual([]);
    expect(served.match(/["']node:[\w/]+["']/g) ?? []).toEqual([]);
    expect(served).toContain('sourceMappingURL=app.js.map');
  });

  describe.each([
    ['a drop (1006)', '/fault/drop', 10_000],
    ['a restart (1012)', '/fault/restart', RESTART_DOWNTIME_MS + 10_000],
    ['a 1011 close', '/fault/close?code=1011', 10_000],
  ])('with resume on, after %s', (_name, fault, timeout) => {
    it('every card says how many messages were recovered, and its series has no gap', async () => {
      const { before, after } = await cardsAcross(() => postFault(fault), timeout);
      for (const card of after) {
        const earlier = before.find((each) => each.channel === card.channel);
        expect(card).toMatchObject({
          channel: card.channel,
          mode: 'resume',
          reconnection: 'recovered',
          note: `recovered ${card.recovered}`,
          missed: 0,
          gaps: 0,
          duplicates: 0,
        });
        expect(card.recovered).toBeGreaterThan(0);
        // The chart's line goes on across the outage: no new break in it.
        expect({ channel: card.channel, breaks: card.breaks }).toEqual({
          channel: card.channel,
          breaks: earlier?.breaks ?? 0,
        });
      }
    }, 30_000);
  });

  it('after a restart that loses the history, every card says "resynced", and its line breaks there', async () => {
    const { before, after } = await cardsAcross(
      () => page.click('[data-testid="fault-forget"]'),
      RESTART_DOWNTIME_MS + 10_000,
    );
    expect(await text('fault-result')).toMatch(/^restarting without history: 1 client told 1012/);
    for (const card of after) {
      const earlier = before.find((each) => each.channel === card.channel);
      expect(card).toMatchObject({ channel: card.channel, mode: 'resume', reconnection: 'resynced', note: 'resynced' });
      expect(card.missed).toBeGreaterThan(earlier?.missed ?? 0);
      expect(card.gaps).toBe((earlier?.gaps ?? 0) + 1);
      expect(card.duplicates).toBe(0);
    }
  }, 30_000);

  it('with resume off, a drop leaves a gap that each card counts as missed', async () => {
    await page.uncheck('[data-testid="resume-toggle"]');
    try {
      expect(await text('resume-state')).toBe('resume: off');
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll<HTMLElement>('[data-testid="channels"] > [data-channel]')].every(
            (card) => card.dataset.mode === 'plain',
          ),
        undefined,
        { timeout: 5_000, polling: 50 },
      );
      const { before, after } = await cardsAcross(() => postFault('/fault/drop'), 10_000);
      for (const card of after) {
        const earlier = before.find((each) => each.channel === card.channel);
        expect(card).toMatchObject({ channel: card.channel, mode: 'plain', reconnection: 'missed', recovered: 0 });
        expect(card.missed).toBeGreaterThan(earlier?.missed ?? 0);
        expect(card.gaps).toBe((earlier?.gaps ?? 0) + 1);
        expect(card.note).toBe(`${card.missed.toLocaleString('en-US')} missed while away`);
      }
    } finally {
      await page.check('[data-testid="resume-toggle"]');
    }
    expect(await text('resume-state')).toBe('resume: on');
  }, 30_000);

  it('after a drop (1006), shows reconnecting, then open again with data flowing', async () => {
    await expectReconnectionAfter(() => page.click('[data-testid="fault-drop"]'), 1006, 10_000);
    expect(await text('fault-result')).toMatch(/^dropped 1 connection/);
  }, 20_000);

  it('after a server restart, reconnects once the listener is back on the same port', async () => {
    const instance = Number((await text('server-instance')).replace('#', ''));
    await expectReconnectionAfter(() => postFault('/fault/restart'), 1012, RESTART_DOWNTIME_MS + 10_000);
    await page.waitForFunction(
      (next) => document.querySelector('[data-testid="server-instance"]')?.textContent === next,
      `#${instance + 1}`,
      { timeout: 5_000, polling: 50 },
    );
    // The first retry (at least 2 s after 1012) came while the port was closed: refused, and logged as a failed
    // attempt rather than as a drop of an open connection.
    const rows = await closeRows();
    const since = rows.slice(
      0,
      rows.findIndex((row) => row.code === '1012'),
    );
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((row) => row.kind === 'failed-attempt')).toBe(true);
    expect(since.at(-1)?.text).toMatch(/^[\d:.]+failed\s*attempt \d+ could not connect \(1006\)/);
  }, 30_000);

  it('after a 1001 close (going away), reconnects', async () => {
    await expectReconnectionAfter(() => postFault('/fault/close?code=1001'), 1001, 10_000);
  }, 20_000);

  it('after a 1011 close chosen on the page (internal error), reconnects', async () => {
    await expectReconnectionAfter(
      async () => {
        await page.selectOption('[data-testid="close-code"]', '1011');
        await page.click('[data-testid="fault-close"]');
      },
      1011,
      10_000,
    );
  }, 20_000);

  it('after a 1013 close (try again later), waits at least 5 s, then reconnects', async () => {
    await expectReconnectionAfter(() => postFault('/fault/close?code=1013'), 1013, 15_000);
    const rows = await closeRows();
    const delay = Number(/reconnecting in (\d+) ms/.exec(rows.find((row) => row.code === '1013')?.text ?? '')?.[1]);
    expect(delay).toBeGreaterThanOrEqual(5_000);
  }, 25_000);

  it('while the feed is silent, shows no traffic without reconnecting, and resumes', async () => {
    await waitForStatus('open');
    await recordStatuses();
    await postFault('/fault/silent?ms=2000');
    await page.waitForFunction(
      () =>
        Number(document.querySelector('[data-testid="rate"]')?.textContent) === 0 &&
        !document.querySelector<HTMLElement>('[data-testid="stale"]')?.hidden,
      undefined,
      { timeout: 5_000, polling: 50 },
    );
    expect(await text('stale')).toMatch(/^no data for \d/);
    await waitForMoreData(20, 6_000);
    expect(await recordedStatuses()).toEqual(['open']);
  }, 15_000);

  it('when the server stops answering pings too, the heartbeat drops the dead connection and reconnects', async () => {
    await expectReconnectionAfter(
      async () => {
        await page.fill('[data-testid="silent-seconds"]', '2');
        await page.check('[data-testid="silent-stall"]');
        await page.click('[data-testid="fault-silent"]');
      },
      1006,
      15_000,
    );
    const rows = await closeRows();
    expect(rows.find((row) => row.code === '1006')?.text).toContain('heartbeat timeout');
    expect(await text('last-error')).toMatch(/HeartbeatTimeoutError|WebSocketCloseError/);
    // Back open: the error is shown as past, with its age.
    expect(await text('last-error')).toMatch(/^\d+ s ago, recovered since · /);
    expect(await page.getAttribute('[data-testid="last-error"]', 'data-recovered')).toBe('true');
    await page.uncheck('[data-testid="silent-stall"]');
  }, 25_000);

  it('after a stall, every card says how many messages were recovered (the feed went on meanwhile), with no new gap', async () => {
    const { before, after } = await cardsAcross(async () => {
      await page.fill('[data-testid="silent-seconds"]', '2');
      await page.check('[data-testid="silent-stall"]');
      try {
        await page.click('[data-testid="fault-silent"]');
      } finally {
        await page.uncheck('[data-testid="silent-stall"]');
      }
    }, 15_000);
    for (const card of after) {
      const earlier = before.find((each) => each.channel === card.channel);
      expect(card).toMatchObject({
        channel: card.channel,
        reconnection: 'recovered',
        note: `recovered ${card.recovered}`,
        missed: earlier?.missed,
        gaps: earlier?.gaps,
        duplicates: 0,
      });
      expect(card.recovered).toBeGreaterThan(0);
    }
  }, 25_000);

  it('unsubscribes from a channel when its "live" box is unticked, and subscribes again when ticked', async () => {
    await waitForStatus('open');
    const subscribed = (channel: string, value: boolean): Promise<unknown> =>
      page.waitForSelector(`[data-testid="channel-${channel}"][data-subscribed="${value}"]`, { timeout: 5_000 });
    await page.uncheck('[data-testid="subscribe-cpu"]');
    await subscribed('cpu', false);
    // The counts on the page are redrawn a few times a second: let one redraw pass before reading.
    await waitForMoreData(10);
    const cpuCount = await numberIn('count-cpu');
    await waitForMoreData(50);
    expect(await numberIn('count-cpu')).toBe(cpuCount);
    await page.check('[data-testid="subscribe-cpu"]');
    await subscribed('cpu', true);
    await page.waitForFunction(
      (before) =>
        Number(document.querySelector('[data-testid="count-cpu"]')?.textContent?.replace(/[^\d]/g, '')) > before,
      cpuCount,
      { timeout: 5_000, polling: 50 },
    );
  }, 20_000);

  it('after a 4001 close (a stop code under the default policy), ends closed with the code shown, and can connect again', async () => {
    await waitForStatus('open');
    const rowsBefore = (await closeRows()).length;
    await postFault('/fault/close?code=4001');
    await waitForStatus('closed');
    expect(await text('state')).toBe('closed · 4001 unauthorized');
    const [row] = await newCloseRows(rowsBefore);
    expect(row).toMatchObject({ code: '4001', decision: 'stop' });
    expect(row?.text).toContain('stopped');
    expect(await text('last-error')).toContain('4001');
    // Stopped for good: no retry is scheduled. The page offers to connect again.
    await page.click('[data-testid="client-connect"]');
    await waitForStatus('open');
    await waitForMoreData();
  }, 20_000);

  it('closes with 1000 from the Disconnect button, logs it as stopped by the page, and connects again', async () => {
    await waitForStatus('open');
    const rowsBefore = (await closeRows()).length;
    await page.click('[data-testid="client-disconnect"]');
    await waitForStatus('closed');
    expect(await text('state')).toBe('closed · 1000 closed from the page');
    const [row] = await newCloseRows(rowsBefore);
    expect(row).toMatchObject({ code: '1000', decision: 'stop' });
    expect(row?.text).toContain('stopped: closed by this page');
    await page.click('[data-testid="client-connect"]');
    await waitForStatus('open');
    await waitForMoreData();
  }, 20_000);

  it('keeps the close log within its panel however many closes come', async () => {
    // Drops in a row until the log holds more rows than the panel shows (bounded: a few seconds in fast mode).
    for (let round = 0; round < 20 && (await closeRows()).length < 16; round++) {
      await waitForStatus('open');
      await postFault('/fault/drop');
      await waitForStatus('reconnecting');
    }
    await waitForStatus('open');
    const box = await page.evaluate(() => {
      const scroller = document.querySelector('[data-testid="close-log"]')?.closest('.close-scroll');
      const panel = scroller?.closest('.panel');
      return {
        panel: panel?.getBoundingClientRect().height ?? Infinity,
        scrollHeight: scroller?.scrollHeight ?? 0,
        clientHeight: scroller?.clientHeight ?? Infinity,
      };
    });
    expect(box.panel).toBeLessThanOrEqual(480);
    expect(box.scrollHeight).toBeGreaterThan(box.clientHeight);
  }, 40_000);

  it('fits a 390 px wide screen without scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await waitForMoreData(10);
      const widths = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      expect(widths.scrollWidth).toBeLessThanOrEqual(widths.innerWidth);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('lays the seven channel cards out with no row left with one card alone', async () => {
    try {
      for (const width of [1440, 1280, 1100, 900, 700, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.waitForFunction(() => document.documentElement.clientWidth > 0);
        const rows = await page.evaluate(() => {
          const grid = document.querySelector<HTMLElement>('[data-testid="channels"]');
          const width = grid?.getBoundingClientRect().width ?? 0;
          const byTop = new Map<number, number[]>();
          for (const card of grid?.children ?? []) {
            const box = card.getBoundingClientRect();
            byTop.set(Math.round(box.top), [...(byTop.get(Math.round(box.top)) ?? []), box.width / width]);
          }
          return [...byTop.values()];
        });
        expect({ width, cards: rows.flat().length }).toEqual({ width, cards: 7 });
        // A card alone on its row must span the grid: no orphan in a row built for several.
        const orphans = rows.filter((row) => row.length === 1 && (row[0] ?? 0) < 0.99);
        expect({ width, orphans }).toEqual({ width, orphans: [] });
      }
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The page as a newcomer opens it (`npm start`, no `?fast=1`): the library's default reconnection settings, which
 * the page explains, and the README's screenshot.
 */
requireSystem('chromium').describe('the dashboard in Chromium, default settings', (chromiumPath) => {
  let dashboard: Dashboard | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dashboard = await startDashboard({ port: 0, host: '127.0.0.1', restartDowntimeMs: 2_500, log: false });
    origin = `http://127.0.0.1:${dashboard.port}`;
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
  }, 30_000);

  const text = async (testId: string): Promise<string> =>
    (await page.locator(`[data-testid="${testId}"]`).textContent()) ?? '';
  const attribute = async (testId: string, name: string): Promise<string | null> =>
    page.getAttribute(`[data-testid="${testId}"]`, name);
  const waitFor = async (fn: (arg: string) => boolean, arg: string, timeout: number): Promise<void> => {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  };
  const statusIs = (status: string): boolean =>
    document.querySelector<HTMLElement>('[data-testid="state"]')?.dataset.status === status;
  const planTexts = (): Promise<string[]> =>
    page.$$eval('[data-testid="backoff-plan"] li[data-attempt]', (items) =>
      items.map((item) => (item.textContent ?? '').replace(/\s+/g, ' ').trim()),
    );
  const postFault = async (path: string): Promise<void> => {
    const response = await fetch(`${origin}${path}`, { method: 'POST' });
    expect(response.status).toBeLessThan(300);
  };
  /** Triggers a fault and waits until the page has been through reconnecting and is open again. */
  const faultAndRecover = async (path: string, timeout: number): Promise<void> => {
    await waitFor(statusIs, 'open', 10_000);
    await postFault(path);
    await waitFor(statusIs, 'reconnecting', 5_000);
    await waitFor(statusIs, 'open', timeout);
  };

  it('fills each chart from its first point rather than from the right edge', async () => {
    await waitFor(statusIs, 'open', 10_000);
    // Six seconds of BTC-USD at 50 messages a second: a fifth of the 30 s window.
    await waitFor(
      () => Number(document.querySelector('[data-testid="count-BTC-USD"]')?.textContent?.replace(/[^\d]/g, '')) >= 300,
      '',
      15_000,
    );
    const drawnLeft = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="channel-BTC-USD"] canvas');
      const context = canvas?.getContext('2d');
      if (!canvas || !context) return -1;
      // The band from a quarter to 40% of the width, right of the y axis: the line's orange (#f7931a) must be there.
      const from = Math.round(canvas.width * 0.25);
      const { data } = context.getImageData(from, 0, Math.round(canvas.width * 0.4) - from, canvas.height);
      let orange = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r = 0, g = 0, b = 0] = [data[i], data[i + 1], data[i + 2]];
        if (r > 190 && g > 100 && g < 190 && b < 100) orange++;
      }
      return orange;
    });
    expect(drawnLeft).toBeGreaterThan(20);
  }, 25_000);

  it("shows the default backoff's plan, and after a reconnection where the attempt count stands", async () => {
    expect(await text('backoff')).toBe('library default');
    // The ranges of createDefaultBackoff: 0–2 s, then b/2–b with b = 2.5 s × 1.5^(n−2).
    expect(await planTexts()).toEqual([
      '#1 0–2 s',
      '#2 1.25–2.5 s',
      '#3 1.88–3.75 s',
      '#4 2.81–5.63 s',
      '#5 4.22–8.44 s',
    ]);
    expect(await attribute('attempt-reset', 'data-next')).toBe('1');

    await faultAndRecover('/fault/drop', 10_000);
    // Open again after attempt 1: for resetAfterMs (5 s), a drop would continue with attempt 2.
    expect(await attribute('attempt-reset', 'data-next')).toBe('2');
    const resetInMs = Number(await attribute('attempt-reset', 'data-reset-in-ms'));
    expect(resetInMs).toBeGreaterThan(0);
    expect(resetInMs).toBeLessThanOrEqual(5_000);
    expect(await text('attempt-reset')).toMatch(
      /^a drop now retries as attempt 2; back to 1 after \d\.\d s more open$/,
    );
    expect((await planTexts())[0]).toBe('#2 1.25–2.5 s');

    // Dropped again within those 5 s: attempt 2, waiting within the range shown.
    await faultAndRecover('/fault/drop', 10_000);
    const decision = await page.locator('[data-testid="close-log"] tr').first().textContent();
    const [, delay, attempt] = /reconnecting in (\d+) ms \(attempt (\d+)\)/.exec(decision ?? '') ?? [];
    expect(Number(attempt)).toBe(2);
    expect(Number(delay)).toBeGreaterThanOrEqual(1_250);
    expect(Number(delay)).toBeLessThanOrEqual(2_500);
  }, 30_000);

  it('counts the reset down: after 5 s open, a drop starts from attempt 1 again', async () => {
    await waitFor(statusIs, 'open', 10_000);
    await waitFor(
      () => document.querySelector<HTMLElement>('[data-testid="attempt-reset"]')?.dataset.next === '1',
      '',
      8_000,
    );
    expect(await text('attempt-reset')).toBe('a drop now starts again from attempt 1');
    expect((await planTexts())[0]).toBe('#1 0–2 s');
  }, 15_000);

  it('looks right after a few faults (screenshot)', async () => {
    await faultAndRecover('/fault/restart', 20_000);
    await faultAndRecover('/fault/close?code=1001', 10_000);
    // A few seconds of data after the last reconnection, so that the charts show it.
    const before = await text('count-BTC-USD');
    await waitFor(
      (before) =>
        Number(document.querySelector('[data-testid="count-BTC-USD"]')?.textContent?.replace(/[^\d]/g, '')) >=
        Number(before.replace(/[^\d]/g, '')) + 200,
      before,
      10_000,
    );
    // Once the plan reaches the cap, one item stands for every later attempt.
    expect((await planTexts()).at(-1)).toMatch(/^#\d\+ 6–12 s$/);
    await page.evaluate(() => window.scrollTo(0, 0));
    const artifacts = join(ROOT, 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.UPDATE_SCREENSHOT === '1')
      copyFileSync(shot, join(ROOT, 'examples', 'dashboard', 'screenshot.png'));
  }, 45_000);

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
