/**
 * Closes every socket a spec made once it ends, so no reconnection loop outlives its spec. A spec may leave messages
 * queued on purpose; `close()` returns them (it never throws for them). Anything it throws fails the spec.
 */
export function closeAfterEach(): <T extends { close(): unknown }>(socket: T) => T {
  const open: { close(): unknown }[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  return (socket) => {
    open.push(socket);
    return socket;
  };
}
