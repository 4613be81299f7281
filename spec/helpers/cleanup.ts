import { MessageNotSentError } from '../../lib/index';

/**
 * Closes every socket a spec made once it ends, so no reconnection loop outlives its spec. A spec may leave messages
 * queued on purpose; `close()` then throws them back as `MessageNotSentError` (nobody listens on `error$` any more),
 * which is expected here. Anything else it throws fails the spec.
 */
export function closeAfterEach(): <T extends { close(): void }>(socket: T) => T {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) {
      try {
        socket.close();
      } catch (error) {
        if (!(error instanceof MessageNotSentError)) throw error;
      }
    }
  });
  return (socket) => {
    open.push(socket);
    return socket;
  };
}
