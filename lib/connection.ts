import { Observable, timer, type Subscription } from 'rxjs';
import { ConnectionTimeoutError, HandshakeError, ProtocolNegotiationError, TransportError } from './errors';
import type { CloseInfo } from './events';
import { redactUrl } from './redact-url';
import { CONNECTING, OPEN, type WebSocketConstructor, type WebSocketLike } from './web-socket-like';

/** Everything one connection attempt needs. */
export interface ConnectionConfig {
  readonly url: string;
  readonly protocols: string | readonly string[] | undefined;
  readonly WebSocketCtor: WebSocketConstructor;
  readonly binaryType: string;
  /** The constructor's third argument (Node `ws` client options); browsers take none. */
  readonly socketOptions: object | undefined;
  /** Infinity for none. */
  readonly connectTimeoutMs: number;
  /** Called with each message event, straight from the socket: messages are not emitted by the Observable. */
  readonly onMessage: (event: NativeMessageEvent) => void;
}

/** The native message event, passed through untouched: the hot path allocates nothing of its own. */
export interface NativeMessageEvent {
  readonly type: 'message';
  readonly data: unknown;
}

/** One socket's life, event by event; messages go to `onMessage` instead. */
export type ConnectionEvent =
  | { readonly type: 'socket'; readonly socket: WebSocketLike }
  | { readonly type: 'open' }
  | { readonly type: 'error'; readonly error: unknown }
  | { readonly type: 'close'; readonly close: CloseInfo };

/** The handler properties every WebSocket implementation has; wired here only. */
interface WiredSocket extends WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: NativeMessageEvent) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: CloseInfo) => void) | null;
}

const noop = (): void => {};

/**
 * One socket's life as an Observable: creates the socket on subscribe, emits `socket`, `open`,
 * each message event, `error`s, and `close`, then completes. Errors with {@link ConnectionTimeoutError}
 * if it does not open within `connectTimeoutMs`. Unsubscribing closes the socket with 1000
 * (aborting it if still connecting) and swallows whatever it still reports.
 */
export function connection(config: ConnectionConfig): Observable<ConnectionEvent> {
  return new Observable<ConnectionEvent>((subscriber) => {
    const { url, protocols, WebSocketCtor, binaryType, socketOptions, connectTimeoutMs } = config;
    let socket: WiredSocket;
    try {
      const offered = protocols === undefined ? undefined : typeof protocols === 'string' ? protocols : [...protocols];
      socket = (
        socketOptions === undefined
          ? new WebSocketCtor(url, offered)
          : new (WebSocketCtor as unknown as new (u: string, p: typeof offered, o: object) => WebSocketLike)(
              url,
              offered,
              socketOptions,
            )
      ) as WiredSocket;
    } catch (error) {
      subscriber.error(new TransportError(`the WebSocket constructor threw: ${redactUrlsIn(messageOf(error))}`, error));
      return;
    }
    socket.binaryType = binaryType;
    let timeout: Subscription | undefined;

    socket.onopen = () => {
      timeout?.unsubscribe();
      subscriber.next({ type: 'open' });
    };
    socket.onmessage = config.onMessage;
    // `ws` fails a connection on a protocol error or an oversized message with 1002 or 1009 on the wire, but reports
    // 1006 on its close event; the code it chose travels on the error, and close$ reports that one instead.
    let failedWith: number | undefined;
    socket.onerror = (event) => {
      failedWith = statusCodeOf(event) ?? failedWith;
      subscriber.next({ type: 'error', error: classifyError(event, protocols) });
    };
    socket.onclose = (event) => {
      timeout?.unsubscribe();
      const code = event.code === 1006 && !event.wasClean && failedWith !== undefined ? failedWith : event.code;
      subscriber.next({ type: 'close', close: { code, reason: event.reason, wasClean: event.wasClean } });
      subscriber.complete();
    };
    subscriber.next({ type: 'socket', socket });

    if (connectTimeoutMs !== Infinity && socket.readyState === CONNECTING) {
      timeout = timer(connectTimeoutMs).subscribe(() =>
        subscriber.error(new ConnectionTimeoutError(connectTimeoutMs, url)),
      );
    }

    return () => {
      timeout?.unsubscribe();
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      // `ws` reports an aborted handshake as an 'error' event; with no listener Node would throw it.
      socket.onerror = noop;
      if (socket.readyState === OPEN || socket.readyState === CONNECTING) socket.close(1000);
    };
  });
}

/** Turns a socket's error event into the most telling error: `ws` gives a message, browsers give none. */
function classifyError(event: unknown, protocols: string | readonly string[] | undefined): unknown {
  const detail = event as { error?: unknown; message?: unknown };
  const cause = detail.error ?? event;
  const message = typeof detail.message === 'string' ? detail.message : cause instanceof Error ? cause.message : '';
  if (/subprotocol/i.test(message)) {
    const offered = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
    return new ProtocolNegotiationError(offered, message);
  }
  const status = /Unexpected server response: (\d{3})/.exec(message);
  if (status) return new HandshakeError(Number(status[1]));
  return new TransportError(message ? redactUrlsIn(message) : 'the connection failed (browsers give no detail)', cause);
}

/** The close code `ws` attached to the error that made it fail the connection (1002, 1007, 1009...), if any. */
function statusCodeOf(event: unknown): number | undefined {
  const error = (event as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const key = Object.getOwnPropertySymbols(error).find((symbol) => symbol.description === 'status-code');
  const code = key === undefined ? undefined : (error as Record<symbol, unknown>)[key];
  return typeof code === 'number' && code >= 1000 && code <= 4999 ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, redactUrl);
}
