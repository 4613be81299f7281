import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { systemPath } from './system';

// Headless as root, without the background traffic that a closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches headless Chromium (or Chrome) from `executablePath`, as `requireSystem('chromium')` found it; without a
 * path, looks for it the same way and throws, saying how to install it, when there is none.
 */
export async function launchChromium(executablePath?: string, options: LaunchOptions = {}): Promise<Browser> {
  const path = executablePath ?? systemPath('chromium');
  return chromium.launch({
    executablePath: path,
    args: CHROMIUM_ARGS,
    // playwright-core turns these off by default; the page lifecycle specs need them as users have them.
    ignoreDefaultArgs: [
      ...(options.backForwardCache ? ['--disable-back-forward-cache'] : []),
      ...(options.backgroundThrottling
        ? ['--disable-background-timer-throttling', '--disable-renderer-backgrounding']
        : []),
    ],
  });
}

/** Browser behaviour that playwright-core turns off by default, turned back on. */
export interface LaunchOptions {
  /** Keep pages in the back/forward cache. @default false */
  readonly backForwardCache?: boolean;
  /** Throttle the timers of background pages. @default false */
  readonly backgroundThrottling?: boolean;
}

/**
 * A headless Chromium whose one page can be put in a background tab (hidden), frozen and resumed, as a user's tab is.
 *
 * playwright-core keeps every page it drives visible: it turns on focus emulation in each page, and Chromium counts a
 * page with focus emulation as captured, which keeps it visible whatever tab is in front. Attached over CDP with
 * `noDefaults`, the browser's own default context is left alone, so its tabs are shown and hidden as in a real window.
 * Launched without playwright-core's switches, background timer throttling and the back/forward cache are on.
 */
export interface TabbedChromium {
  readonly browser: Browser;
  readonly context: BrowserContext;
  /** The page under test: the window's first tab. */
  readonly page: Page;
  /** Puts another tab of the same window in front: the page becomes `hidden`. */
  hide(): Promise<void>;
  /** Puts the page's tab in front again: it becomes `visible`. */
  show(): Promise<void>;
  /** Freezes the hidden page (`freeze`): its timers and tasks stop. */
  freeze(): Promise<void>;
  /** Resumes the frozen page (`resume`); it stays hidden until `show()`. */
  resume(): Promise<void>;
  /** Closes the browser, and removes its profile. */
  close(): Promise<void>;
}

/** Launches a {@link TabbedChromium} from `executablePath` (as `launchChromium`). */
export async function launchTabbedChromium(executablePath?: string): Promise<TabbedChromium> {
  const path = executablePath ?? systemPath('chromium');
  const profile = mkdtempSync(join(tmpdir(), 'rxws-chromium-'));
  const child = spawn(
    path,
    [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = once(child, 'exit');
  /** Waits for Chromium to exit (killing it when it has not within 10 s), then removes its profile. */
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)));
      if ((await Promise.race([exited.then(() => true), late.then(() => false)])) === false) {
        child.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    }
    child.stderr.destroy();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timeout = setTimeout(() => reject(new Error('Chromium did not open its DevTools port')), 30_000);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        output += chunk;
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(output);
        if (found?.[1] === undefined) return;
        clearTimeout(timeout);
        resolve(found[1]);
      });
      child.once('exit', (code) => {
        clearTimeout(timeout);
        reject(new Error(`Chromium exited (${code}) before opening its DevTools port`));
      });
    });
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true, isLocal: true });
    const context = browser.contexts()[0];
    const page = context?.pages()[0];
    if (!context || !page) throw new Error('Chromium opened no window');
    const session: CDPSession = await context.newCDPSession(page);
    const { targetInfo } = await session.send('Target.getTargetInfo');
    const browserSession = await browser.newBrowserCDPSession();
    let cover: string | undefined;
    return {
      browser,
      context,
      page,
      async hide() {
        if (cover === undefined)
          ({ targetId: cover } = await browserSession.send('Target.createTarget', {
            url: 'about:blank',
            newWindow: false,
          }));
        else await browserSession.send('Target.activateTarget', { targetId: cover });
      },
      async show() {
        await browserSession.send('Target.activateTarget', { targetId: targetInfo.targetId });
      },
      async freeze() {
        await session.send('Page.setWebLifecycleState', { state: 'frozen' });
      },
      async resume() {
        await session.send('Page.setWebLifecycleState', { state: 'active' });
      },
      async close() {
        await browserSession.send('Browser.close').catch(() => undefined);
        await browser.close().catch(() => undefined);
        await stop();
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await stop();
    throw error;
  }
}
