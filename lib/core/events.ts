/** What `open$` emits on every open, reconnections included. */
export interface OpenInfo {
  /** The absolute URL this socket connected to. */
  readonly url: string;
  /** The sub-protocol the server selected ('' when none). */
  readonly protocol: string;
  /** The extensions the server selected ('' when none). */
  readonly extensions: string;
  /** 0 for the first connection, then the number of the reconnection attempt that succeeded. */
  readonly attempt: number;
}

/** What `close$` emits on every close, retried ones included. */
export interface CloseInfo {
  /** The close code: the server's, or 1005 when its close frame had none, or 1006 when the connection dropped. */
  readonly code: number;
  /** The close frame's reason ('' when it had none). */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
}

/** The incoming message event, as the browser gives it. */
export interface WebSocketMessageEvent<Data = WebSocketData> {
  /** The message: a string for a text frame, an `ArrayBuffer` or `Blob` (per `binaryType`) for a binary one. */
  readonly data: Data;
  /** The origin of the server ('' in Node, where `ws` does not set it). */
  readonly origin: string;
  /** Always '' for WebSocket messages (it is a Server-Sent Events field). */
  readonly lastEventId: string;
  /** Always `null` for WebSocket messages (it is a `postMessage` field). */
  readonly source: unknown;
  /** Always empty for WebSocket messages (it is a `postMessage` field). */
  readonly ports: readonly unknown[];
}

/** Raw data as a WebSocket delivers it: text frames as strings, binary frames per `binaryType`. */
export type WebSocketData = string | ArrayBuffer | Blob;

/** What may be handed to `WebSocket.send`. */
export type WebSocketPayload = string | ArrayBufferLike | Blob | ArrayBufferView;
