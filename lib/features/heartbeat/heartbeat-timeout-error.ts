import { init, RxWebSocketError } from '../../core/errors';

/** Nothing arrived within `intervalMs + timeoutMs` (a ping included): the connection is presumed dead and is dropped. */
export class HeartbeatTimeoutError extends RxWebSocketError {
  /** `'HeartbeatTimeoutError'`. */
  declare readonly name: 'HeartbeatTimeoutError';
  declare readonly code: 'ERR_HEARTBEAT_TIMEOUT';
  /** The heartbeat's `intervalMs`: how long the connection was silent before the ping. */
  declare readonly intervalMs: number;
  /** The heartbeat's `timeoutMs`: how long the ping went unanswered. */
  declare readonly timeoutMs: number;

  /**
   * @param intervalMs The heartbeat's `intervalMs`: how long the connection was silent before the ping.
   * @param timeoutMs The heartbeat's `timeoutMs`: how long the ping went unanswered.
   */
  constructor(intervalMs: number, timeoutMs: number) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `No traffic for ${intervalMs} ms, then no answer to a ping within ${timeoutMs} ms`
        : `ERR_HEARTBEAT_TIMEOUT ${intervalMs} ${timeoutMs}`,
    );
    init(this, 'HeartbeatTimeoutError', 'ERR_HEARTBEAT_TIMEOUT', { intervalMs, timeoutMs });
  }
}
