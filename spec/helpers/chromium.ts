import { chromium, type Browser } from 'playwright-core';
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
