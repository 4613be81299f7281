import { asyncScheduler } from 'rxjs';
import type { RxWebSocketError } from '../../core/errors';
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
    () => session.markTraffic(),
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
