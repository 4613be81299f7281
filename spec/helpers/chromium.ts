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
export async function launchChromium(executablePath?: string): Promise<Browser> {
  const path = executablePath ?? systemPath('chromium');
  return chromium.launch({ executablePath: path, args: CHROMIUM_ARGS });
}
