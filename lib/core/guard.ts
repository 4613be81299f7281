import type { RxWebSocketError } from './errors';

/**
 * What {@link guard} returns when the application's callback threw: the typed error to report, with the original as
 * its `cause`. A class of its own, so that a callback's own return value can never be mistaken for it.
 */
export class Threw {
  constructor(readonly error: RxWebSocketError) {}
}

/**
 * Every call into application code (serializer, deserializer, providers, policy, backoff, heartbeat and multiplex
 * callbacks) goes through here, so that nothing it throws can reach a socket's event handler or RxJS's unhandled-error
 * path: the result, or a {@link Threw} holding what it threw wrapped by `wrap`. Allocates nothing unless it throws.
 * The caller decides the one documented consequence (skip the message, end the channel, fail the attempt, stop).
 */
export function guard<A, R>(
  call: (arg: A) => R,
  arg: A,
  wrap: (cause: unknown, arg: A) => RxWebSocketError,
): R | Threw {
  try {
    return call(arg);
  } catch (cause) {
    // `arg` is handed to `wrap` too, so that a hot path can pass a function made once rather than a closure per call.
    return new Threw(wrap(cause, arg));
  }
}
