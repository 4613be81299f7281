import { asyncScheduler } from 'rxjs';
import type { NativeMessageEvent } from '../../core/connection';
import { CallbackError, type RxWebSocketError } from '../../core/errors';
import { guard, Threw } from '../../core/guard';
import type { CloseInfo } from '../../core/events';
import type { Session } from '../../core/session';
import type { WebSocketLike } from '../../core/web-socket-like';
import { watchHeartbeat, type ResolvedHeartbeat } from './heartbeat';

/**
 * Runs the heartbeat on the session's open `socket` (again, with a ping at once, when `pingNow`), built on the
 * session's internal fields so that the session itself carries no heartbeat code beyond counting incoming traffic.
 * A connection found dead is dropped, reported with `deathError()`, and reconnected by policy.
 */
export function keepAlive(
  session: Session<unknown>,
  socket: WebSocketLike,
  beat: ResolvedHeartbeat,
  deathError: () => RxWebSocketError,
  pingNow: boolean,
): void {
  session.alive?.unsubscribe();
  session.alive = watchHeartbeat(
    socket,
    beat,
    (session.traffic ??= { count: 0, at: 0 }),
    () => markTraffic(session),
    (error) => session.sessionHost.emitError(error),
    asyncScheduler,
    pingNow,
  ).subscribe(() => dead(session, socket, deathError()));
}

/** The heartbeat found the connection silent: drop it without waiting for a closing handshake that cannot come. */
function dead(session: Session<unknown>, socket: WebSocketLike, error: RxWebSocketError): void {
  session.alive?.unsubscribe();
  session.stable?.unsubscribe();
  (socket as { terminate?: () => void }).terminate?.();
  session.conn?.dispose();
  session.conn = undefined;
  const close: CloseInfo = { code: 1006, reason: 'heartbeat timeout', wasClean: false };
  const { sessionHost: host } = session;
  if (session.notify(() => host.emitError(error)) || session.notify(() => host.emitClose(close))) return;
  if (session.closeRequested) session.end({ status: 'closed', close });
  else session.retryOrStop(error, close);
}

/**
 * One incoming message of the session's, counted; true when `message$` must not have it: a recognised pong (unless
 * `emitPongs`), or the report of an `isPong` that threw ended or restarted the session. A recogniser that throws is
 * reported, and the message is taken for an ordinary one.
 */
export function heard(session: Session<unknown>, beat: ResolvedHeartbeat, event: NativeMessageEvent): boolean {
  markTraffic(session);
  if (beat.isPong === undefined) return false;
  const pong = guard(beat.isPong, event.data, isPongThrew);
  if (pong instanceof Threw) return session.notify(() => session.sessionHost.emitError(pong.error));
  return pong && !beat.emitPongs;
}

/** Counts one message, ping or pong on the session's traffic. */
function markTraffic(session: Session<unknown>): void {
  const traffic = (session.traffic ??= { count: 0, at: 0 });
  traffic.count++;
  traffic.at = asyncScheduler.now();
}

const isPongThrew = (cause: unknown): CallbackError => new CallbackError('heartbeat.isPong', cause);
