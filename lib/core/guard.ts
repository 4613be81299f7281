import type { RxWebSocketError } from './errors';

/**
 * What {@link guard} returns when the application's callback threw: the typed error to report, with the original as
 * its `cause`. A class of its own, so that a callback's own return value can never be mistaken for it.
 */
export class Threw {
  constructor(readonly error: RxWebSocketError) {}
}

/**
 * The calls made for each message, each given a call expression of its own in {@link guard}: V8 learns per call
 * expression which functions it calls, and stops inlining them at one that has called more than four different ones,
 * as the shared one does in any application (every callback goes through it).
 */
export const DECODE = 1;
export const FILTER = 2;
export const CURSOR = 3;
export const REPLY = 4;
type Path = typeof DECODE | typeof FILTER | typeof CURSOR | typeof REPLY;

/**
 * Every call into application code (serializer, deserializer, providers, policy, backoff, heartbeat and multiplex
 * callbacks) goes through here, so that nothing it throws can reach a socket's event handler or RxJS's unhandled-error
 * path: the result, or a {@link Threw} holding what it threw wrapped by `wrap`. Allocates nothing unless it throws.
 * The caller decides the one documented consequence (skip the message, end the channel, fail the attempt, stop).
 * A per-message call names its `path`, so that what V8 learns about it is not shared with every other callback.
 */
export function guard<A, R>(
  call: (arg: A) => R,
  arg: A,
  wrap: (cause: unknown, arg: A) => RxWebSocketError,
  path?: Path,
): R | Threw {
  try {
    // The same call in each branch, on purpose: each branch is a call expression of its own (see DECODE).
    switch (path) {
      case DECODE:
        return call(arg);
      case FILTER:
        return call(arg);
      case CURSOR:
        return call(arg);
      case REPLY:
        return call(arg);
      default:
        return call(arg);
    }
  } catch (cause) {
    // `arg` is handed to `wrap` too, so that a hot path can pass a function made once rather than a closure per call.
    return new Threw(wrap(cause, arg));
  }
}
