import { join } from 'node:path';
import type { Socket } from 'node:net';
import { fromWebSocket, type ConnectionState } from '../../lib/index';
import { runChild } from '../helpers/child';
import { whenStatus } from '../helpers/observe';
import { startRawServer, type RawServer } from '../helpers/raw-ws-server';
import { within } from '../helpers/wait';
import type { UnansweredCloseFigures } from './children/unanswered-close';

// A peer that never answers the client's close frame (a stuck server, a proxy that lost the connection): ws would
// wait 30 s before giving up and hold the process that long. closeTimeoutMs bounds it.

const NOT_CLEAN = { code: 1006, reason: '', wasClean: false };

/** The peer's side of one connection: every byte the client sent, and whether the client has ended the TCP connection. */
interface Silent {
  readonly socket: Socket;
  readonly bytes: Buffer[];
  readonly closed: Promise<void>;
}

let server: RawServer;
let peers: Silent[];
beforeEach(async () => {
  peers = [];
  server = await startRawServer(() => ({
    accept: ({ socket }) => {
      // Upgraded, then deaf: the server's own frame reader (which ends the connection on a close frame) is removed.
      socket.removeAllListeners('data');
      const bytes: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => bytes.push(chunk));
      // The client ending its side (FIN) or resetting the connection, whichever this peer hears first.
      const closed = new Promise<void>((resolve) => {
        socket.once('end', () => resolve());
        socket.once('close', () => resolve());
      });
      peers.push({ socket, bytes, closed });
    },
  }));
});
afterEach(() => server.close());

/** Whether the client sent a close frame (opcode 8, final): the first byte of the only frame it sends here. */
const sentCloseFrame = (peer: Silent): boolean => Buffer.concat(peer.bytes)[0] === 0x88;

describe('fromWebSocket against a peer that never answers the closing handshake', () => {
  it.each(['close()', 'the last unsubscribe'])(
    'after %s: closed within closeTimeoutMs, as a 1006 close that was not clean, and the TCP connection is cut',
    async (how) => {
      const socket = fromWebSocket(server.url, { closeTimeoutMs: 300, reconnect: false });
      const states: ConnectionState[] = [];
      socket.state$.subscribe((state) => states.push(state));
      const closes: unknown[] = [];
      if (how === 'close()') socket.close$.subscribe((close) => closes.push(close));
      const held = socket.message$.subscribe({ error: () => undefined });
      await whenStatus(socket.state$, 'open');
      const peer = peers[0] as Silent;
      const started = performance.now();
      if (how === 'close()') socket.close();
      else held.unsubscribe();
      await whenStatus(socket.state$, 'closed', 5_000);
      const ms = performance.now() - started;
      expect(sentCloseFrame(peer)).toBe(true);
      expect(states.slice(-2)).toEqual([{ status: 'closing' }, { status: 'closed', close: NOT_CLEAN }]);
      if (how === 'close()') expect(closes).toEqual([NOT_CLEAN]);
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(3_000);
      // terminate(): the client ended the TCP connection itself, rather than waiting for ws's 30 s.
      await within(peer.closed, 3_000, 'the client to end the TCP connection');
    },
  );

  it('lets a Node process exit soon after the last unsubscribe, instead of holding it for 30 s', async () => {
    const result = await runChild<UnansweredCloseFigures & { error?: string }>(
      join(__dirname, 'children', 'unanswered-close.ts'),
      { url: server.url, closeTimeoutMs: 500 },
      { timeoutMs: 20_000 },
    );
    expect(result.figures.error).toBeUndefined();
    expect(result.exitedByItself).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(result.figures.states.slice(-2)).toEqual([{ status: 'closing' }, { status: 'closed', close: NOT_CLEAN }]);
    expect(result.figures.closingMs).toBeLessThan(5_000);
    expect(sentCloseFrame(peers[0] as Silent)).toBe(true);
  }, 30_000);
});
