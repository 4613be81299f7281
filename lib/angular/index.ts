export {
  createWebSocketToken,
  injectWebSocket,
  provideWebSocket,
  WEB_SOCKET,
  withConnectOnStart,
} from './provide-web-socket';
export type { WebSocketFeature } from './provide-web-socket';
export { DEFAULT_COUNTDOWN_STEP_MS, WebSocketRef } from './web-socket-ref';
export type { WebSocketConfig, WebSocketSignalOptions } from './web-socket-ref';
