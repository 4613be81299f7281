import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { CallbackError, EncodeError, InvalidOptionError, type RxWebSocketError } from '../../core/errors';
import type { WebSocketPayload } from '../../core/events';
import { assertDelayMs } from '../../core/validate-options';
import { guard, Threw } from '../../core/guard';
import { describeNonPayload, isArrayBuffer, isPayload } from '../../core/payload';
import type { Heartbeat, Traffic } from '../../core/heartbeat-contract';
import type { WebSocketLike } from '../../core/web-socket-like';
import { HeartbeatTimeoutError } from './heartbeat-timeout-error';
import { heard, keepAlive } from './keep-alive';

/** Keep-alive and dead-connection detection. */
export interface HeartbeatOptions {
  /**
   * After this long without any incoming traffic, a ping is sent: milliseconds above 0, up to 2147483647 (the
   * longest delay timers honour). Silence is timed by timers, which keep to the monotonic clock: setting the system
   * clock back cannot make a live connection look dead nor put detection off (at most one interval late), and setting
   * it forward at most sends one ping early.
   * @default 30000
   */
  readonly intervalMs?: number;
  /**
   * How long to wait for any traffic after a ping before the connection counts as dead:
   * it is then dropped, reported as a `HeartbeatTimeoutError`, and reconnected by policy. Milliseconds above 0, up to
   * 2147483647 (the longest delay timers honour).
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * The application-level ping to send. When unset and the socket has protocol pings (Node's `ws`),
   * a ping frame is sent instead; in a browser, which has none, silence alone is then watched, so
   * the server must send something at least every `intervalMs`. Binary data given here is copied once, when the
   * options are read. A function is called for each ping: if it throws (a `CallbackError`, hook `'heartbeat.ping'`)
   * or returns something a socket cannot send (an `EncodeError`), that is reported on `error$` and the ping is
   * skipped; the connection stays up while any traffic arrives, and `timeoutMs` after the skipped ping a silent
   * one is dropped as usual.
   * @default undefined
   */
  readonly ping?: WebSocketPayload | (() => WebSocketPayload);
  /**
   * Recognises the server's answer to an application ping, from the raw message data.
   * Recognised pongs count as traffic and are not emitted on `message$` unless `emitPongs` is set.
   * If it throws, a `CallbackError` (hook `'heartbeat.isPong'`) is reported on `error$` and the message is taken
   * for an ordinary one: it counts as traffic and is decoded and delivered.
   * @default undefined (no message is treated as a pong)
   */
  readonly isPong?: (data: unknown) => boolean;
  /**
   * Also emit recognised pongs on `message$`.
   * @default false
   */
  readonly emitPongs?: boolean;
}

/** The default {@link HeartbeatOptions} timings. */
export const DEFAULT_HEARTBEAT = {
  /** {@link HeartbeatOptions.intervalMs}: 30 s. */
  intervalMs: 30_000,
  /** {@link HeartbeatOptions.timeoutMs}: 10 s. */
  timeoutMs: 10_000,
} as const;

/** Heartbeat options with defaults applied and checked: the settings part of a {@link Heartbeat}. */
export type ResolvedHeartbeat = Pick<Heartbeat, 'intervalMs' | 'timeoutMs' | 'ping' | 'isPong' | 'emitPongs'>;

/**
 * Keep-alive and half-open detection for `fromWebSocket`'s `heartbeat` option: `fromWebSocket(url, { heartbeat:
 * heartbeat({ intervalMs: 20_000 }) })`. An opt-in import, so that an app without it carries none of its code.
 * Throws `InvalidOptionError` for a bad option (left to development builds in the production browser build).
 */
export function heartbeat(options: HeartbeatOptions = {}): Heartbeat {
  const resolved = resolveHeartbeat(options);
  const deathError = (): HeartbeatTimeoutError => new HeartbeatTimeoutError(resolved.intervalMs, resolved.timeoutMs);
  return {
    ...resolved,
    watch: (session, socket, pingNow) => keepAlive(session, socket, resolved, deathError, pingNow),
    heard: (session, event) => heard(session, resolved, event),
    deathError,
  };
}

/** Applies the defaults and (outside the production browser build) checks every option. */
export function resolveHeartbeat(options: HeartbeatOptions): ResolvedHeartbeat {
  if (typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__) validateHeartbeat(options);
  const {
    intervalMs = DEFAULT_HEARTBEAT.intervalMs,
    timeoutMs = DEFAULT_HEARTBEAT.timeoutMs,
    ping,
    isPong,
    emitPongs = false,
  } = options;
  return { intervalMs, timeoutMs, ping: ownedPing(ping), isPong, emitPongs };
}

function validateHeartbeat(options: HeartbeatOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('heartbeat', options, 'an object');
  const { intervalMs, timeoutMs, ping, isPong, emitPongs } = options;
  if (intervalMs !== undefined) assertDelayMs('heartbeat.intervalMs', intervalMs, { above0: true });
  if (timeoutMs !== undefined) assertDelayMs('heartbeat.timeoutMs', timeoutMs, { above0: true });
  if (ping !== undefined && typeof ping !== 'function' && !isPayload(ping)) {
    throw new InvalidOptionError('heartbeat.ping', ping, 'a message to send, or a function making one');
  }
  if (emitPongs !== undefined && typeof emitPongs !== 'boolean')
    throw new InvalidOptionError('heartbeat.emitPongs', emitPongs, 'a boolean');
  if (isPong !== undefined && typeof isPong !== 'function')
    throw new InvalidOptionError('heartbeat.isPong', isPong, 'a function');
}

/**
 * The ping as the heartbeat keeps it. Binary data is copied: the library sends it again and again, long after the
 * application handed it over and may have reused its buffer.
 */
function ownedPing(ping: ResolvedHeartbeat['ping']): ResolvedHeartbeat['ping'] {
  if (ArrayBuffer.isView(ping)) return new Uint8Array(ping.buffer, ping.byteOffset, ping.byteLength).slice().buffer;
  return isArrayBuffer(ping) ? new Uint8Array(ping).slice().buffer : ping;
}

/** The parts of Node's `ws` that protocol pings need. */
interface PingingSocket extends WebSocketLike {
  ping(): void;
  on(event: 'pong' | 'ping', listener: () => void): unknown;
  off(event: 'pong' | 'ping', listener: () => void): unknown;
}

function hasProtocolPing(socket: WebSocketLike): socket is PingingSocket {
  const candidate = socket as Partial<PingingSocket>;
  return (
    typeof candidate.ping === 'function' && typeof candidate.on === 'function' && typeof candidate.off === 'function'
  );
}

const pingThrew = (cause: unknown): CallbackError => new CallbackError('heartbeat.ping', cause);

/**
 * Watches one open socket: pings after `intervalMs` of silence and emits once when nothing at all arrived within
 * `timeoutMs` of that ping. A ping that cannot be made (`ping` threw, or returned something a socket cannot send) is
 * handed to `report` and skipped: the timeout still decides, and any traffic counts. With `pingNow`, the first ping
 * goes at once (the page lifecycle checking a connection the page is back to).
 *
 * Silence is the absence of real events (messages, pings, pongs) between two of the heartbeat's own timers, never a
 * difference of clock readings: a wall clock stepped back (NTP, a resumed VM) can neither make a live connection look
 * dead nor put detection off, and one stepped forward at worst brings one ping forward.
 *
 * A timer that fires at least twice as late as it was set for (a background tab's throttled timers, a frozen page, a
 * sleeping machine) may run before the messages that arrived meanwhile are delivered, so its silence proves nothing:
 * the connection gets the benefit of the doubt once, with another ping and another `timeoutMs`, before it is declared
 * dead. Lateness is read from `scheduler.now()` (virtual time in marble tests); a wall clock stepped forward can make
 * a timer look late, which costs at most one more `timeoutMs`, and one stepped back makes it look on time, which is
 * the rule without tolerance. It never makes a live connection look dead, so no monotonic clock is needed.
 */
export function watchHeartbeat(
  socket: WebSocketLike,
  options: ResolvedHeartbeat,
  traffic: Traffic,
  markTraffic: () => void,
  report: (error: RxWebSocketError) => void,
  scheduler: SchedulerLike = asyncScheduler,
  pingNow = false,
): Observable<void> {
  return new Observable<void>((subscriber) => {
    const { intervalMs, timeoutMs, ping } = options;
    const protocol = ping === undefined && hasProtocolPing(socket) ? socket : undefined;
    protocol?.on('pong', markTraffic);
    protocol?.on('ping', markTraffic);
    let pending: Subscription | undefined;
    /** Whether a late timer's silence was already forgiven since the last traffic. */
    let forgiven = false;

    /** The ping to send, or undefined (reported) when the application's function could not make one. */
    const makePing = (): WebSocketPayload | undefined => {
      if (typeof ping !== 'function') return ping;
      const made = guard(ping, undefined, pingThrew);
      if (made instanceof Threw) {
        report(made.error);
        return undefined;
      }
      if (isPayload(made)) return made;
      report(
        new EncodeError(made, new TypeError(`heartbeat.ping returned ${describeNonPayload(made)}, ${NOT_PAYLOAD}`)),
      );
      return undefined;
    };

    const sendPing = (): void => {
      const payload = protocol ? undefined : makePing();
      try {
        if (protocol) protocol.ping();
        else if (payload !== undefined) socket.send(payload);
      } catch {
        // A socket that cannot take a ping is dying; the timeout decides.
      }
    };

    /**
     * Sets `then` to run after `delayMs`, remembering the traffic count: if it is unchanged then, the connection was
     * silent for those `delayMs` whatever any clock says.
     */
    const after = (delayMs: number, then: (silent: boolean, sinceTrafficMs: number, late: boolean) => void): void => {
      const seen = traffic.count;
      const setAt = scheduler.now();
      pending = scheduler.schedule(() => {
        const now = scheduler.now();
        // The last message was within the `delayMs` just slept: the clock only places it inside that window.
        const since = now - traffic.at;
        const silent = traffic.count === seen;
        if (!silent) forgiven = false;
        then(silent, since > delayMs ? delayMs : since > 0 ? since : 0, now - setAt >= LATE_FACTOR * delayMs);
      }, delayMs);
    };

    /** Sleeps until `intervalMs` after the last traffic, so a busy connection reschedules once per interval at most. */
    const idle = (quietMs: number): void => {
      if (quietMs < intervalMs) after(intervalMs - quietMs, (silent, since) => (silent ? pingAndWait() : idle(since)));
      else pingAndWait();
    };

    const pingAndWait = (): void => {
      sendPing();
      // A report's listener may have closed or dropped the connection.
      if (subscriber.closed) return;
      after(timeoutMs, (silent, since, late) => {
        if (!silent) idle(since);
        else if (late && !forgiven) {
          // Throttled or frozen: the answer may be queued behind this timer. Once, ping again and wait again.
          forgiven = true;
          pingAndWait();
        } else subscriber.next();
      });
    };

    if (pingNow) pingAndWait();
    else idle(0);

    return () => {
      pending?.unsubscribe();
      protocol?.off('pong', markTraffic);
      protocol?.off('ping', markTraffic);
    };
  });
}

/** A timer this many times later than its delay was throttled or frozen. */
const LATE_FACTOR = 2;

const NOT_PAYLOAD = 'not a string, ArrayBuffer, Blob or ArrayBufferView';
