import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { InvalidOptionError } from '../../core/errors';
import type { WebSocketPayload } from '../../core/events';
import { assertDelayMs } from '../../core/validate-options';
import { isPayload } from '../../core/payload';
import type { WebSocketLike } from '../../core/web-socket-like';

/** Keep-alive and dead-connection detection. */
export interface HeartbeatOptions {
  /**
   * After this long without any incoming traffic, a ping is sent: milliseconds above 0, up to
   * 2147483647 (the longest delay timers honour).
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
   * the server must send something at least every `intervalMs`.
   * @default undefined
   */
  readonly ping?: WebSocketPayload | (() => WebSocketPayload);
  /**
   * Recognises the server's answer to an application ping, from the raw message data.
   * Recognised pongs count as traffic and are not emitted on `message$` unless `emitPongs` is set.
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

/** Heartbeat options with defaults applied and checked. */
export interface ResolvedHeartbeat {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly ping: WebSocketPayload | (() => WebSocketPayload) | undefined;
  readonly isPong: ((data: unknown) => boolean) | undefined;
  readonly emitPongs: boolean;
}

export function resolveHeartbeat(options: HeartbeatOptions | undefined): ResolvedHeartbeat | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('heartbeat', options, 'an object');
  const {
    intervalMs = DEFAULT_HEARTBEAT.intervalMs,
    timeoutMs = DEFAULT_HEARTBEAT.timeoutMs,
    ping,
    isPong,
    emitPongs = false,
  } = options;
  assertDelayMs('heartbeat.intervalMs', intervalMs, { above0: true });
  assertDelayMs('heartbeat.timeoutMs', timeoutMs, { above0: true });
  if (ping !== undefined && typeof ping !== 'function' && !isPayload(ping)) {
    throw new InvalidOptionError('heartbeat.ping', ping, 'a message to send, or a function making one');
  }
  if (typeof emitPongs !== 'boolean') throw new InvalidOptionError('heartbeat.emitPongs', emitPongs, 'a boolean');
  if (isPong !== undefined && typeof isPong !== 'function')
    throw new InvalidOptionError('heartbeat.isPong', isPong, 'a function');
  return { intervalMs, timeoutMs, ping, isPong, emitPongs };
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

/**
 * Watches one open socket: pings after `intervalMs` of silence and emits once when nothing at all
 * arrived within `timeoutMs` of that ping. `lastTrafficAt()` is the scheduler time of the last incoming
 * message, kept by the caller so that receiving costs one clock read, not a timer reset.
 */
export function heartbeat(
  socket: WebSocketLike,
  options: ResolvedHeartbeat,
  lastTrafficAt: () => number,
  markTraffic: () => void,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<void> {
  return new Observable<void>((subscriber) => {
    const { intervalMs, timeoutMs, ping } = options;
    const protocol = ping === undefined && hasProtocolPing(socket) ? socket : undefined;
    protocol?.on('pong', markTraffic);
    protocol?.on('ping', markTraffic);
    let pending: Subscription | undefined;

    const sendPing = (): void => {
      if (protocol) protocol.ping();
      else if (ping !== undefined) socket.send(typeof ping === 'function' ? ping() : ping);
    };

    // Sleeps until `intervalMs` after the last traffic, so a busy connection reschedules once per interval at most.
    const watch = (): void => {
      const idleMs = scheduler.now() - lastTrafficAt();
      if (idleMs < intervalMs) {
        pending = scheduler.schedule(watch, intervalMs - idleMs);
        return;
      }
      const seen = lastTrafficAt();
      try {
        sendPing();
      } catch {
        // A socket that cannot take a ping is dying; the timeout below decides.
      }
      pending = scheduler.schedule(() => {
        if (lastTrafficAt() > seen) watch();
        else subscriber.next();
      }, timeoutMs);
    };
    pending = scheduler.schedule(watch, intervalMs);

    return () => {
      pending?.unsubscribe();
      protocol?.off('pong', markTraffic);
      protocol?.off('ping', markTraffic);
    };
  });
}
