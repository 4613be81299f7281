/** Closes every socket a spec made once it ends, so no reconnection loop outlives its spec. */
export function closeAfterEach(): <T extends { close(): void }>(socket: T) => T {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  return (socket) => {
    open.push(socket);
    return socket;
  };
}
