import type { CloseInfo } from '../core/events';

/**
 * A close as `close$` and `state$` report it, for expected marble values: `closeEvent(4401, 'unauthorized')`.
 * Failure messages of {@link readableFrames} print closes in this same form, ready to paste.
 *
 * @param reason - @default ''
 * @param wasClean - @default false for 1006 and 1015 (no closing handshake), else true
 */
export function closeEvent(code: number, reason = '', wasClean = !(code === 1006 || code === 1015)): CloseInfo {
  return Object.freeze({ code, reason, wasClean });
}
