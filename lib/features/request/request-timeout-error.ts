import { init, RxWebSocketError } from '../../core/errors';

/**
 * A `request()` got no reply within its `timeoutMs`. The request is given up (its `cancel` message, if any, is sent);
 * a reply that arrives later is ignored.
 */
export class RequestTimeoutError extends RxWebSocketError {
  /** `'RequestTimeoutError'`. */
  declare readonly name: 'RequestTimeoutError';
  declare readonly code: 'ERR_REQUEST_TIMEOUT';
  /** The id of the request that went unanswered. */
  declare readonly id: string;
  /** The request's `timeoutMs`: how long it waited. */
  declare readonly timeoutMs: number;

  /**
   * @param id The id of the request that went unanswered.
   * @param timeoutMs The request's `timeoutMs`: how long it waited.
   */
  constructor(id: string, timeoutMs: number) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `No reply to a request within ${timeoutMs} ms (its id is on the error's id property)`
        : `ERR_REQUEST_TIMEOUT ${timeoutMs}`,
    );
    init(this, 'RequestTimeoutError', 'ERR_REQUEST_TIMEOUT', { id, timeoutMs });
  }
}
