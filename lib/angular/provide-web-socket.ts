import {
  assertInInjectionContext,
  type EnvironmentProviders,
  inject,
  InjectionToken,
  makeEnvironmentProviders,
  provideEnvironmentInitializer,
  type Provider,
} from '@angular/core';
import { type WebSocketConfig, WebSocketRef } from './web-socket-ref';

/**
 * The token of the socket that `provideWebSocket` provides when its config names none: enough for an application
 * with one socket. Its messages are untyped; make a typed token with {@link createWebSocketToken}.
 */
export const WEB_SOCKET: InjectionToken<WebSocketRef<unknown, unknown>> = new InjectionToken<
  WebSocketRef<unknown, unknown>
>('rx-websocket');

/**
 * A token for one socket, typed by what it receives (`In`) and sends (`Out`):
 * `export const FEED = createWebSocketToken<ServerMsg, ClientMsg>('feed');`
 */
export function createWebSocketToken<In, Out>(description: string): InjectionToken<WebSocketRef<In, Out>> {
  return new InjectionToken<WebSocketRef<In, Out>>(`rx-websocket ${description}`);
}

/** Something `provideWebSocket` can do beyond making the socket, such as {@link withConnectOnStart}. */
export interface WebSocketFeature {
  /** Which feature it is. */
  readonly kind: 'connectOnStart';
}

/**
 * Holds the connection for the application's whole life, from its first render in the browser (after hydration), as
 * if a component always used it; `start()` connects again after a stop. Without it, the socket is connected while a
 * binding (`toSignal`, `latest`) lives. Never connects on the server.
 */
export function withConnectOnStart(): WebSocketFeature {
  return { kind: 'connectOnStart' };
}

/**
 * Provides one socket to an application (or to a route's or a test's environment injector):
 *
 * ```ts
 * bootstrapApplication(App, { providers: [provideWebSocket({ token: FEED, url: '/ws', options: json() })] });
 * ```
 *
 * The socket is made when first injected; see `WebSocketRef` for how it connects, in which zone, and what it does on
 * the server. Several sockets side by side take one token each.
 */
export function provideWebSocket<In, Out>(
  config: WebSocketConfig<In, Out>,
  ...features: readonly WebSocketFeature[]
): EnvironmentProviders {
  const token = config.token ?? WEB_SOCKET;
  const providers: (Provider | EnvironmentProviders)[] = [
    { provide: token, useFactory: () => new WebSocketRef<In, Out>(config) },
  ];
  if (features.some((feature) => feature.kind === 'connectOnStart'))
    providers.push(provideEnvironmentInitializer(() => inject(token).hold()));
  return makeEnvironmentProviders(providers);
}

/**
 * The socket provided under `token` (by default {@link WEB_SOCKET}), in an injection context:
 * `protected readonly feed = injectWebSocket(FEED);`
 */
export function injectWebSocket<In = unknown, Out = unknown>(
  token: InjectionToken<WebSocketRef<In, Out>> = WEB_SOCKET,
): WebSocketRef<In, Out> {
  assertInInjectionContext(injectWebSocket);
  return inject(token);
}
