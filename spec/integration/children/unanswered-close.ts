/**
 * Connects to a peer (in the parent process) that never answers a close, lets go of the socket, and must then exit by
 * itself: the closing handshake is bounded by closeTimeoutMs, not by ws's own 30 s. Prints the states it saw.
 */
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import { fromWebSocket, type ConnectionState } from '../../../lib/index';
import { readArgs, run } from '../../reliability/children/common';

interface Args {
  readonly url: string;
  readonly closeTimeoutMs: number;
}

export interface UnansweredCloseFigures {
  readonly states: ConnectionState[];
  readonly closingMs: number;
}

run(async (): Promise<UnansweredCloseFigures> => {
  const { url, closeTimeoutMs } = readArgs<Args>();
  const socket = fromWebSocket(url, { closeTimeoutMs, reconnect: false });
  const states: ConnectionState[] = [];
  socket.state$.subscribe((state) => states.push(state));
  const held = socket.message$.subscribe();
  await firstValueFrom(socket.state$.pipe(filter((state) => state.status === 'open')));
  const started = performance.now();
  held.unsubscribe();
  await firstValueFrom(socket.state$.pipe(filter((state) => state.status === 'closed')));
  return { states, closingMs: Math.round(performance.now() - started) };
});
