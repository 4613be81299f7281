import { EventEmitter } from 'node:events';
import { Connection } from '../../lib/core/connection';
import type { CloseInfo } from '../../lib/core/events';
import { CLOSED, CONNECTING, OPEN } from '../../lib/core/web-socket-like';

// When ws fails a connection itself (a message over maxPayload: 1009; a protocol error, such as an illegal close
// code: 1002), it emits an Error carrying the code under a symbol it does not export (`Symbol('status-code')`), then
// a 'close' with 1006. The close reported is the code ws failed with, not the 1006.

/** The Error ws emits when it fails the connection, as ws builds it. */
function wsFailure(message: string, statusCode: unknown): Error {
  const error = new Error(message);
  Object.defineProperty(error, Symbol('status-code'), { value: statusCode });
  return error;
}

/** ws's client as the connection sees it: an EventEmitter with ws's close-frame flags. */
class WsLikeSocket extends EventEmitter {
  static created: WsLikeSocket[] = [];
  readonly url: string;
  readyState = CONNECTING;
  protocol = '';
  extensions = '';
  bufferedAmount = 0;
  binaryType = 'nodebuffer';
  _closeFrameReceived = false;
  _closeFrameSent = false;
  constructor(url: string) {
    super();
    this.url = url;
    WsLikeSocket.created.push(this);
  }
  send(): void {}
  close(): void {}
}

/**
 * Opens a connection over a ws-like socket, fails it with `error`, then closes it as ws then does (by default 1006, no
 * closing frames); returns what the connection reported.
 */
function closeAfter(
  error: Error,
  code = 1006,
  reason = '',
  frames = false,
): { closes: CloseInfo[]; errors: unknown[] } {
  WsLikeSocket.created = [];
  const closes: CloseInfo[] = [];
  const errors: unknown[] = [];
  new Connection(
    {
      url: 'ws://127.0.0.1/feed',
      protocols: undefined,
      WebSocketCtor: WsLikeSocket,
      binaryType: 'arraybuffer',
      socketOptions: undefined,
      connectTimeoutMs: Infinity,
    },
    {
      opened: () => {},
      message: () => {},
      failed: (e) => errors.push(e),
      closed: (close) => closes.push(close),
      timedOut: () => {},
    },
  );
  const socket = WsLikeSocket.created[0] as WsLikeSocket;
  socket.readyState = OPEN;
  socket.emit('open');
  socket.emit('error', error);
  Object.assign(socket, { _closeFrameReceived: frames, _closeFrameSent: frames, readyState: CLOSED });
  socket.emit('close', code, Buffer.from(reason));
  return { closes, errors };
}

describe('a connection that ws fails itself', () => {
  it.each([
    [1009, 'Max payload size exceeded'],
    [1002, 'Invalid WebSocket frame: invalid status code 1005'],
  ])('reports the close with the code ws failed it with (%d), not the 1006 that follows', (code, message) => {
    const { closes, errors } = closeAfter(wsFailure(message, code));
    expect(errors).toHaveLength(1);
    expect(closes).toEqual([{ code, reason: '', wasClean: false }]);
  });

  it.each([
    ['a number out of the close-code range', 999],
    ['a number above it', 5000],
    ['a string', '1009'],
  ])('keeps the 1006 when the status code is %s', (_what, statusCode) => {
    expect(closeAfter(wsFailure('odd', statusCode)).closes).toEqual([{ code: 1006, reason: '', wasClean: false }]);
  });

  it.each([1000, 4999])('takes a status code at the edge of the range (%d)', (code) => {
    expect(closeAfter(wsFailure('edge', code)).closes).toEqual([{ code, reason: '', wasClean: false }]);
  });

  it('reads no code from a symbol of another name', () => {
    const error = new Error('other');
    Object.defineProperty(error, Symbol('other'), { value: 1009 });
    expect(closeAfter(error).closes).toEqual([{ code: 1006, reason: '', wasClean: false }]);
  });

  it('keeps the 1006 of an error event whose error is null', () => {
    expect(closeAfter(null as unknown as Error).closes).toEqual([{ code: 1006, reason: '', wasClean: false }]);
  });

  it('keeps the 1006 of an error without a status code', () => {
    expect(closeAfter(new Error('read ECONNRESET')).closes).toEqual([{ code: 1006, reason: '', wasClean: false }]);
  });

  it('keeps a close code that is not 1006 as it is', () => {
    expect(closeAfter(wsFailure('Max payload size exceeded', 1009), 4000, 'bye', true).closes).toEqual([
      { code: 4000, reason: 'bye', wasClean: true },
    ]);
  });
});
