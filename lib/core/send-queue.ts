import { InvalidOptionError, type MessageNotSentError } from './errors';
import type { WebSocketPayload } from './events';
import { ownCopy, payloadByteLength } from './payload';

/** Bounds of the queue that holds messages sent while the socket is not open. */
export interface SendQueueOptions {
  /**
   * The most messages held while not open.
   * @default 1000
   */
  readonly maxMessages?: number;
  /**
   * The most bytes (UTF-8 for text) held while not open.
   * @default 1_048_576 (1 MiB)
   */
  readonly maxBytes?: number;
  /**
   * What a `send` that does not fit does: `'report'` emits a `SendQueueOverflowError` on `error$`
   * (the message is not queued; the queue keeps its older messages); `'throw'` throws it from `send`.
   * Either way nothing is dropped without a word.
   * @default 'report'
   */
  readonly overflow?: 'report' | 'throw';
}

/** The default {@link SendQueueOptions}. */
export const DEFAULT_SEND_QUEUE = {
  /** {@link SendQueueOptions.maxMessages}: 1000 messages. */
  maxMessages: 1000,
  /** {@link SendQueueOptions.maxBytes}: 1 MiB. */
  maxBytes: 1_048_576,
  /** {@link SendQueueOptions.overflow}: report on `error$`. */
  overflow: 'report',
} as const;

/** A queued message: what goes to the socket, what the application sent (for the errors that report it), its size. */
export interface Entry<Out> {
  readonly payload: WebSocketPayload;
  readonly value: Out;
  readonly bytes: number;
  /**
   * Set when it left the queue unsent (`close()` handed it back, or the socket threw on it at the open's flush): what
   * was reported on `error$` for it. A request whose message it was can tell it from one sent on open.
   */
  unsent?: MessageNotSentError<Out>;
}

/** The queue's limits, with every default applied. */
export interface SendQueueLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly overflow: 'report' | 'throw';
}

/**
 * Applies the defaults, after checking the options (left to development builds in the production browser build, as
 * every option check is); no options give the shared default limits.
 */
export function resolveSendQueueLimits(options: SendQueueOptions = DEFAULT_SEND_QUEUE): SendQueueLimits {
  if (options === DEFAULT_SEND_QUEUE) return DEFAULT_SEND_QUEUE;
  if (typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__) validateSendQueue(options);
  const {
    maxMessages = DEFAULT_SEND_QUEUE.maxMessages,
    maxBytes = DEFAULT_SEND_QUEUE.maxBytes,
    overflow = DEFAULT_SEND_QUEUE.overflow,
  } = options;
  return { maxMessages, maxBytes, overflow };
}

function validateSendQueue(options: SendQueueOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('sendQueue', options, 'an object');
  const { maxMessages, maxBytes, overflow } = options;
  if (maxMessages !== undefined && !isLimit(maxMessages, true)) {
    throw new InvalidOptionError('sendQueue.maxMessages', maxMessages, 'an integer ≥ 0, or Infinity');
  }
  if (maxBytes !== undefined && !isLimit(maxBytes, false))
    throw new InvalidOptionError('sendQueue.maxBytes', maxBytes, 'a number ≥ 0, or Infinity');
  if (overflow !== undefined && overflow !== 'report' && overflow !== 'throw')
    throw new InvalidOptionError('sendQueue.overflow', overflow, "'report' or 'throw'");
}

/** A bounded FIFO of encoded messages waiting for the socket to open; its methods on the prototype. */
export class BoundedQueue<Out> {
  /** @internal Oldest first; read by {@link withdraw}. */
  entries: Entry<Out>[] = [];
  /** @internal */
  queuedBytes = 0;
  constructor(readonly limits: SendQueueLimits) {}
  /** Messages waiting. */
  get size(): number {
    return this.entries.length;
  }
  /** Their bytes, as the socket would count them. */
  get bytes(): number {
    return this.queuedBytes;
  }
  /**
   * Adds the message; false when it does not fit (nothing changes then). Binary payloads are queued as a copy, so that
   * the caller may reuse or transfer its buffer at once, as it may after a direct send. Throws the platform's
   * `TypeError` for a detached buffer (nothing is queued then).
   */
  offer(payload: WebSocketPayload, value: Out): boolean {
    const size = payloadByteLength(payload);
    const { maxMessages, maxBytes } = this.limits;
    if (this.entries.length + 1 > maxMessages || this.queuedBytes + size > maxBytes) return false;
    this.entries.push({ payload: ownCopy(payload), value, bytes: size });
    this.queuedBytes += size;
    return true;
  }
  /** Removes and returns every entry, oldest first. */
  drain(): Entry<Out>[] {
    const all = this.entries;
    this.entries = [];
    this.queuedBytes = 0;
    return all;
  }
}

/** The entry the last `offer` added, when `size` entries waited before it; undefined when none was added. */
export function addedSince<Out>(queue: BoundedQueue<Out> | undefined, size: number): Entry<Out> | undefined {
  return queue && queue.entries.length > size ? queue.entries[queue.entries.length - 1] : undefined;
}

/**
 * Takes `entry` out of the queue: it was never handed to a socket, and now will not be. False when it is no longer
 * there (sent, or handed back by `close()`). Functions of their own rather than methods, so that only the features
 * that withdraw (requests) carry them.
 */
export function withdraw<Out>(queue: BoundedQueue<Out>, entry: Entry<Out>): boolean {
  const at = queue.entries.indexOf(entry);
  if (at < 0) return false;
  queue.queuedBytes -= entry.bytes;
  queue.entries.splice(at, 1);
  return true;
}

function isLimit(value: unknown, integer: boolean): boolean {
  return typeof value === 'number' && value >= 0 && (value === Infinity || !integer || Number.isInteger(value));
}
