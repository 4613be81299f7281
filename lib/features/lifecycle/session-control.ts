import { asyncScheduler } from 'rxjs';
import type { Connection, ConnectionListener } from '../../core/connection';
import type { CloseInfo } from '../../core/events';
import type { Session } from '../../core/session';
import { CLOSING, OPEN } from '../../core/web-socket-like';

/**
 * What the page lifecycle asks of one running session. Every call is ignored once the application has called
 * `close()`, and a socket nobody holds has no session to call.
 */
export interface LifecycleControl {
  /**
   * The page is back (visible, resumed, restored, or online): check the connection now. An open one is pinged where
   * a heartbeat is configured; one whose socket is closing already (the server's close frame read) is left to its
   * close event, so that the server's code is reported and the policy weighs it; one whose socket says it is closed
   * with no close event heard is replaced at once; one waiting out a backoff reconnects now with the attempt count
   * reset. When `shown` (the page is visible), one held closed by {@link suspend} reconnects too, and a closing
   * socket's retry is no longer held; a page still hidden keeps them.
   */
  check(shown: boolean): void;
  /**
   * Closes the connection for the page (hidden too long, or entering the back/forward cache) and holds it closed,
   * without reconnecting, until {@link check}. Closes with `code` where the socket takes it; a browser takes only 1000
   * and 3000–4999 from a script, and the socket is then let go unclosed, for the browser to close with 1001 as it
   * caches or unloads the page. A socket closing already (the server's close frame read) is left to its close event,
   * reported and weighed by the policy: a stop ends the socket, and a retry is held for the page unless a check came
   * meanwhile.
   */
  suspend(code: number, reason: string): void;
}

/**
 * {@link LifecycleControl} for `session`, built on its internal fields, so that the session itself carries no page
 * lifecycle code. A session is held closed from `suspend` until anything drops what it runs (`check`, the
 * application's `reconnect()` or `close()`, its end), which bumps its generation.
 */
export function controlSession(session: Session<unknown>): LifecycleControl {
  /** The session's generation while it is held closed for the page. */
  let heldAt: number | undefined;
  /** A suspend waits for a closing socket's close event, to hold a retry of it; a check calls that off. */
  let holdAfterClose = false;
  /** Waiting for no delay, the close that made it as `lastClose`. */
  const hold = (close?: CloseInfo): void =>
    session.sessionHost.setState({
      status: 'reconnecting',
      attempt: 0,
      delayMs: Infinity,
      ...(close && { lastClose: close }),
    });
  return {
    check(shown: boolean): void {
      if (shown) holdAfterClose = false;
      if (session.over || session.closeRequested) return;
      const { conn: connection } = session;
      const beat = session.sessionHost.options.heartbeat;
      // Held closed for the page (now shown), or waiting out a backoff: now, with the attempt count reset.
      if (heldAt === session.generation ? shown : session.phase && !session.dialing) session.reconnect();
      else if (!connection || !session.isUp) return;
      else if (connection.socket.readyState === OPEN) beat?.watch(session, connection.socket, true);
      // Closed with no close event heard (lost, or held back): replaced now. A closing one (the server's close frame
      // read) is left to its close event, which is reported and weighed by the policy.
      else if (connection.socket.readyState !== CLOSING) session.reconnect();
    },
    suspend(code: number, reason: string): void {
      if (session.over || session.closeRequested || heldAt === session.generation) return;
      session.dialing = false;
      const { conn: connection } = session;
      if (connection?.socket.readyState === CLOSING && session.isUp) {
        // The server's close frame read: its close is reported and weighed by the policy; a retry is held for the page.
        // The heartbeat stops, as for a close of the page's own, and `closeTimeoutMs` bounds the wait for the event.
        const own = connection.listener as ConnectionListener;
        holdAfterClose = true;
        const listener: ConnectionListener = {
          opened: ignore,
          message: (event) => own.message(event),
          failed: (error) => own.failed(error),
          closed(close) {
            session.closeBound?.unsubscribe();
            own.closed(close);
            if (holdAfterClose && session.phase && !session.dialing && !session.over && !session.closeRequested) {
              session.dropAll();
              heldAt = session.generation;
              hold(close);
            }
          },
          timedOut: ignore,
        };
        waitForClose(connection, listener);
        return;
      }
      if (!connection || !session.isUp || connection.socket.readyState !== OPEN) {
        session.dropAll();
        heldAt = session.generation;
        hold();
        return;
      }
      heldAt = session.generation;
      session.stable?.unsubscribe();
      session.alive?.unsubscribe();
      try {
        connection.socket.close(code, reason);
      } catch {
        // A browser refuses 1001 from a script: the socket is let go, for the browser to close as it leaves the page
        // (its close event, should one still come, is no longer heard).
        connection.listener = session.conn = undefined;
        hold();
        return;
      }
      // The close event holds the connection closed, instead of the session's reconnecting.
      waitForClose(connection, {
        opened: ignore,
        message: (event) => session.message(event),
        failed: (error) => session.failed(error),
        closed(close) {
          // The application's close() came meanwhile: the session ends with this close.
          if (session.closeRequested) return session.closed(close);
          session.closeBound?.unsubscribe();
          session.closeBound = session.conn = undefined;
          if (!session.notify(() => session.sessionHost.emitClose(close))) hold(close);
        },
        timedOut: ignore,
      });
    },
  };

  /** Hands `connection`'s events to `listener`, its close event within `closeTimeoutMs` (else a 1006 close). */
  function waitForClose(connection: Connection, listener: ConnectionListener): void {
    session.alive?.unsubscribe();
    session.closeBound?.unsubscribe();
    connection.listener = listener;
    const { closeTimeoutMs } = session.sessionHost.options;
    if (closeTimeoutMs !== Infinity)
      session.closeBound = asyncScheduler.schedule(() => {
        // The peer did not answer: drop the socket, and report a 1006 close.
        (connection.socket as { terminate?: () => void }).terminate?.();
        connection.dispose();
        listener.closed({ code: 1006, reason: '', wasClean: false });
      }, closeTimeoutMs);
  }
}

function ignore(): void {}
