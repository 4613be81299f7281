// Browser builds replace `isomorphic-ws` by the platform's own WebSocket, which is what isomorphic-ws's `browser`
// entry gives too, so that `ws` and Node built-ins never enter a browser bundle.

/** The module that stands in for `isomorphic-ws`. */
export const NATIVE_WEB_SOCKET =
  '// The browser build of rx-websocket uses the platform WebSocket.\nexport default globalThis.WebSocket;\n';

/**
 * An esbuild plugin that inlines the stand-in wherever `isomorphic-ws` is imported (for whole-app bundles, as in the
 * size measurement).
 * @type {import('esbuild').Plugin}
 */
export const inlineNativeWebSocket = {
  name: 'inline-native-web-socket',
  setup(build) {
    build.onResolve({ filter: /^isomorphic-ws$/ }, () => ({ path: 'isomorphic-ws', namespace: 'native-web-socket' }));
    build.onLoad({ filter: /.*/, namespace: 'native-web-socket' }, () => ({
      contents: NATIVE_WEB_SOCKET,
      loader: 'js',
    }));
  },
};
