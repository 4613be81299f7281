import { CallbackError, InvalidOptionError, kindOf, type CallbackHook, type RxWebSocketError } from '../../core/errors';
import { CURSOR, guard, Threw } from '../../core/guard';

/**
 * What a resumable channel tells the application each time it subscribes again after a reconnection: whether the
 * server filled the gap. `recovered: false` means messages were missed that the feed cannot give back (its history no
 * longer reaches `cursor`, or the channel had no cursor to resume from): resync from your own store (a snapshot, a
 * REST call); the channel goes on with what the server sends next.
 */
export interface ResumeEvent {
  /** Whether the server replayed everything after `cursor` (as the application's `isRecovered` read its answer). */
  readonly recovered: boolean;
  /**
   * The cursor the channel resubscribed with: the last one it delivered. `undefined` when it had delivered none,
   * and then `recovered` is `false` at once (nothing to resume from: what was published meanwhile is lost).
   */
  readonly cursor: string | undefined;
}

/** The resumable part of a channel's options, as `multiplex` hands it over. */
export interface ResumeOptions<T, In> {
  readonly cursorOf: (message: T) => string | undefined;
  readonly isRecovered?: ((message: In) => boolean | undefined) | undefined;
  readonly onResume?: ((event: ResumeEvent) => void) | undefined;
  readonly dedupeWindow?: number | undefined;
}

/** The default of `dedupeWindow`: cursors a resumable channel remembers, to drop a message it already delivered. */
export const DEFAULT_DEDUPE_WINDOW = 1024;

/** The cursor bookkeeping of one resumable channel, as {@link createResume} makes it. */
export interface Resume<T, In> {
  /** The cursor of the last message delivered; what the next subscribe message is made with. */
  readonly cursor: () => string | undefined;
  /** Whether the answer to a resubscription made with a cursor is awaited (then `answer` reads each message). */
  readonly awaiting: () => boolean;
  /**
   * The channel's subscribe message went out. The first one starts the channel; every later one follows a
   * reconnection: with no cursor the gap cannot be filled (told at once), with one the answer is awaited.
   */
  readonly subscribed: () => void;
  /** Reads a message of the socket while an answer is awaited; a `Threw` when `isRecovered` threw. */
  readonly answer: (message: In) => Threw | undefined;
  /**
   * Whether `message` (accepted by the filter) is to be delivered: not when its cursor is among those delivered
   * lately, nor when it is neither a string nor `undefined` (reported). Records its cursor as delivered. A `Threw`
   * when `cursorOf` threw.
   */
  readonly admit: (message: T) => boolean | Threw;
}

/**
 * The cursor bookkeeping of one resumable channel: the last cursor delivered (what the next subscribe resumes from),
 * and a ring of the last `dedupeWindow` cursors delivered (one array store per message). Duplicates come where a
 * replay meets what was delivered before it or live messages racing it, so the lookups happen there: from each
 * resubscription, for the next `dedupeWindow` messages, every cursor is looked up in a `Set` made from the ring and
 * added to it (at most twice the window), then the `Set` goes. On a steady connection, where a server sends each
 * cursor once and in order, only a repeat of the last cursor is dropped. What `onResume` throws goes to `report`, and
 * changes nothing else.
 */
export function createResume<T, In>(
  { cursorOf, isRecovered, onResume, dedupeWindow: size = DEFAULT_DEDUPE_WINDOW }: ResumeOptions<T, In>,
  report: (error: RxWebSocketError) => unknown,
): Resume<T, In> {
  let last: string | undefined;
  let since: string | undefined;
  let started = false;
  let awaiting = false;
  const ring: string[] = [];
  let next = 0;
  /** The cursors looked up after a resubscription, and how many more messages are checked. */
  let checking: Set<string> | undefined;
  let left = 0;
  const tell = (recovered: boolean): void => {
    awaiting = false;
    const told = onResume && guard(onResume, { recovered, cursor: since }, resumeError);
    if (told instanceof Threw) report(told.error);
  };
  return {
    cursor: () => last,
    awaiting: () => awaiting,
    subscribed() {
      if (started) {
        since = last;
        awaiting = last !== undefined && onResume !== undefined;
        if (size > 0) {
          checking = new Set(ring);
          left = size;
        }
        if (last === undefined) tell(false);
      }
      started = true;
    },
    answer(message) {
      const recovered = guard(isRecovered as (message: In) => boolean | undefined, message, recoveredError);
      if (recovered instanceof Threw) return recovered;
      if (typeof recovered == 'boolean') tell(recovered);
    },
    admit(message) {
      const cursor = guard(cursorOf, message, cursorError, CURSOR);
      if (cursor === undefined) return true;
      if (cursor instanceof Threw) return cursor;
      if (typeof cursor !== 'string') {
        // Not a cursor the channel could resume from or compare: the message is dropped, and the channel goes on.
        report(typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__ ? badCursor(cursor) : cursorError(cursor));
        return false;
      }
      if (size > 0) {
        if (cursor === last) return false;
        if (checking) {
          if (checking.has(cursor)) return false;
          checking.add(cursor);
          if (--left === 0) checking = undefined;
        }
        ring[next] = cursor;
        next = next + 1 === size ? 0 : next + 1;
      }
      last = cursor;
      return true;
    },
  };
}

/** Checks the resumable options of a `multiplex` call: a programming error throws at the call. */
export function checkResume(options: {
  readonly cursorOf?: unknown;
  readonly isRecovered?: unknown;
  readonly onResume?: unknown;
  readonly dedupeWindow?: unknown;
}): void {
  const { cursorOf, isRecovered, onResume, dedupeWindow } = options;
  if (cursorOf === undefined) {
    for (const [name, value] of [
      ['isRecovered', isRecovered],
      ['onResume', onResume],
      ['dedupeWindow', dedupeWindow],
    ] as const) {
      if (value !== undefined) throw new InvalidOptionError(`multiplex.${name}`, value, 'needs cursorOf');
    }
    return;
  }
  if (typeof cursorOf !== 'function') throw new InvalidOptionError('multiplex.cursorOf', cursorOf, 'a function');
  if (isRecovered !== undefined && typeof isRecovered !== 'function') {
    throw new InvalidOptionError('multiplex.isRecovered', isRecovered, 'a function');
  }
  if (onResume !== undefined && typeof onResume !== 'function') {
    throw new InvalidOptionError('multiplex.onResume', onResume, 'a function');
  }
  if (onResume !== undefined && isRecovered === undefined) {
    throw new InvalidOptionError(
      'multiplex.onResume',
      onResume,
      "onResume needs isRecovered: the server's answer tells whether the gap was filled",
    );
  }
  if (dedupeWindow !== undefined && !(Number.isSafeInteger(dedupeWindow) && (dedupeWindow as number) >= 0)) {
    throw new InvalidOptionError('multiplex.dedupeWindow', dedupeWindow, 'an integer ≥ 0');
  }
}

const wrapper =
  (hook: CallbackHook) =>
  (cause: unknown): RxWebSocketError =>
    new CallbackError(hook, cause);
// Made once, so that the per-message calls allocate nothing unless a callback throws.
const cursorError = /* @__PURE__ */ wrapper('multiplex.cursorOf');
const recoveredError = /* @__PURE__ */ wrapper('multiplex.isRecovered');
const resumeError = /* @__PURE__ */ wrapper('multiplex.onResume');

/** What a `cursorOf` that returned neither a string nor `undefined` is reported as (development builds). */
function badCursor(cursor: unknown): CallbackError {
  return new CallbackError('multiplex.cursorOf', cursor, `${kindOf(cursor)}, not a string or undefined`);
}
