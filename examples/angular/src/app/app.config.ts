import { type ApplicationConfig, provideZonelessChangeDetection } from '@angular/core';
import { provideClientHydration, withEventReplay } from '@angular/platform-browser';
import { exponentialBackoff, json } from 'rx-websocket';
import { provideWebSocket, withConnectOnStart } from 'rx-websocket/angular';
import {
  BURST,
  type BurstMessage,
  type ClientMessage,
  FEED,
  pageParam,
  PROTOCOL,
  type ServerMessage,
  SOCKET_PATH,
} from './feed';

// `?fast=1`: short reconnection delays, for automated tests (people get the library's defaults).
const fast = pageParam('fast') === '1';

/** What the browser and the server share; main.ts adds the change detection (zoneless, or zone.js with `?zone=1`). */
export const appConfig: ApplicationConfig = {
  providers: [
    provideClientHydration(withEventReplay()),
    // The three lines: a token, a URL (a function here, read before every attempt), the options.
    provideWebSocket(
      {
        token: FEED,
        url: () => pageParam('ws') ?? SOCKET_PATH,
        protocols: [PROTOCOL],
        options: {
          ...json<ServerMessage, ClientMessage>(),
          ...(fast && {
            reconnect: { backoff: exponentialBackoff({ initialDelayMs: 300, maxDelayMs: 1_000, jitter: 'none' }) },
          }),
        },
      },
      // Connected for the application's whole life (from its first render in the browser), not only while a
      // channel is shown.
      withConnectOnStart(),
    ),
    provideWebSocket({ token: BURST, url: () => pageParam('burst') ?? '', options: json<BurstMessage, never>() }),
  ],
};

/** The browser's change detection: zoneless by default. */
export const zonelessConfig: ApplicationConfig = { providers: [provideZonelessChangeDetection()] };
