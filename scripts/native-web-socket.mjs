// Browser builds replace `isomorphic-ws` by the platform's own WebSocket, which is what isomorphic-ws's `browser`
// entry gives too, so that `ws` and Node built-ins never enter a browser bundle.

/** The module that stands in for `isomorphic-ws`. */
export const NATIVE_WEB_SOCKET =
  '// The browser build of rx-websocket uses the platform WebSocket.\nexport default globalThis.WebSocket;\n';
