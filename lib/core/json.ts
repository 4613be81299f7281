import type { WebSocketMessageEvent } from './events';
import { isArrayBuffer } from './payload';

const decoder = /* @__PURE__ */ new TextDecoder();

/**
 * Serializer and deserializer for JSON messages: `fromWebSocket<In, Out>(url, { ...json<In, Out>() })`.
 * Binary frames are decoded as UTF-8 first; a `Blob` cannot be read synchronously and is rejected.
 */
export function json<In, Out>(): {
  /** `JSON.stringify`. */
  serializer: (value: Out) => string;
  /** `JSON.parse` of the text, or of the UTF-8 decoded binary data. */
  deserializer: (event: WebSocketMessageEvent) => In;
} {
  // Shared functions: one small object per call, whatever the number of sockets.
  return { serializer: stringify, deserializer: parse as (event: WebSocketMessageEvent) => In };
}

function stringify(value: unknown): string {
  return JSON.stringify(value);
}

function parse(event: WebSocketMessageEvent): unknown {
  const { data } = event;
  if (typeof data === 'string') return JSON.parse(data);
  if (isArrayBuffer(data) || ArrayBuffer.isView(data)) return JSON.parse(decoder.decode(data));
  throw new TypeError(
    typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
      ? 'a Blob message cannot be parsed synchronously; use binaryType "arraybuffer"'
      : 'Blob',
  );
}
