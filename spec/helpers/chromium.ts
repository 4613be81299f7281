import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the browser tests drive it, never a downloaded build. */
export const CHROMIUM = '/usr/bin/chromium';

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

/** Launches headless Chromium, or fails (under CI too: never skips) saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    const how = "Install Debian's Chromium with `apt-get install -y chromium` (as root), then run the tests again.";
    throw new Error(
      process.env.CI
        ? `${CHROMIUM} is missing on this CI machine, so the browser tests cannot run. ${how} (.ci/run does this.)`
        : `${CHROMIUM} is missing, so the browser tests cannot run. ${how}`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
