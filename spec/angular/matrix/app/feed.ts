// The socket of the matrix's application: a typed token, and the test kit's server double behind it, so that a render
// can tell whether anything tried to connect.
import { type ApplicationConfig, provideZonelessChangeDetection } from '@angular/core';
import { json } from 'rx-websocket';
import { createWebSocketToken, provideWebSocket, withConnectOnStart } from 'rx-websocket/angular';
import { createWebSocketDouble } from 'rx-websocket/testing';

export interface Tick {
  readonly type: 'tick';
  readonly value: number;
}
export interface Command {
  readonly type: 'subscribe';
  readonly channel: string;
}

export const FEED = createWebSocketToken<Tick, Command>('feed');

/** Every socket the application makes lands here: none may on the server. */
export const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });

/** Connected from the first render, as an application that always shows its feed would be. */
export const appConfig: ApplicationConfig = {
  providers: [
    provideZonelessChangeDetection(),
    provideWebSocket(
      {
        token: FEED,
        url: 'wss://feed.test/ws',
        options: { ...json<Tick, Command>(), WebSocketCtor: server.WebSocketCtor },
      },
      withConnectOnStart(),
    ),
  ],
};
