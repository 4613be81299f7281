/**
 * Bootstraps the example in the browser: zoneless change detection (signals tell Angular what changed), and the
 * feed configured through its providers.
 *
 * Query parameters:
 *   ?ws=ws://host:port/ws   the feed (default: /ws on this page's origin)
 *   ?fast=1                 short reconnection delays, for automated tests (people get the library's defaults)
 */
// JIT: this example is bundled without the Angular CLI, so the template is compiled in the browser.
import '@angular/compiler';
import { provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { exponentialBackoff } from 'rx-websocket';
import { SOCKET_PATH } from '../dashboard/protocol';
import { FeedPanelComponent } from './feed-panel.component';
import { provideFeed } from './feed.service';

const params = new URLSearchParams(location.search);
const fast = params.get('fast') === '1';

bootstrapApplication(FeedPanelComponent, {
  providers: [
    provideZonelessChangeDetection(),
    provideFeed(
      params.get('ws') ?? SOCKET_PATH,
      // Fixed 300 ms, then up to 1 s: long enough for the badge to show `reconnecting`, short enough for a test.
      fast
        ? { reconnect: { backoff: exponentialBackoff({ initialDelayMs: 300, maxDelayMs: 1_000, jitter: 'none' }) } }
        : {},
    ),
  ],
}).catch((error: unknown) => console.error(error));
