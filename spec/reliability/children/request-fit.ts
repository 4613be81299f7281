/**
 * Heap against request count, for requests that leave before their reply while one request with the same `replyIdOf`
 * stays waiting (so that the socket's index of waiting requests lives throughout): what one more such request leaves
 * behind, in bytes, against the same count of plain `send`s of the same message on the same socket (what sending
 * itself leaves). Run with `--expose-gc`; prints one JSON line and exits by itself.
 */
import './interpreter-only';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { fromWebSocket, json, request } from '../../../lib/index';
import { forkServer, lowestSettledHeap, medianSlope, readArgs, run } from './common';

export interface RequestFitArgs {
  /** Requests before the first checkpoint, so that lazy initialisation is not counted. */
  readonly warmup: number;
  readonly checkpoints: number;
  readonly requestsPerCheckpoint: number;
  /** The whole run must end within this, or it fails. */
  readonly budgetMs: number;
}

export interface RequestFit {
  readonly counts: number[];
  readonly heapBytes: number[];
  /** The Theil–Sen slope from the second checkpoint on: bytes per request (or per send). */
  readonly bytesPerRequest: number;
}

export interface RequestFitFigures {
  /** Plain sends of the same message. */
  readonly sends: RequestFit;
  /** Requests made and let go before any reply. */
  readonly requests: RequestFit;
  readonly errors: string[];
}

type Frame = { readonly type: 'request' | 'reply'; readonly id: string };

run(async (): Promise<RequestFitFigures> => {
  const args = readArgs<RequestFitArgs>();
  const deadline = performance.now() + args.budgetMs;
  const server = await forkServer();
  const errors: string[] = [];
  const socket = fromWebSocket<Frame, Frame>(server.url, { ...json<Frame, Frame>(), reconnect: false });
  socket.error$.subscribe((error) => errors.push(String(error)));
  const replyIdOf = (frame: Frame): string | undefined => (frame.type === 'reply' ? frame.id : undefined);
  const make = (id: string): Frame => ({ type: 'request', id });
  // Waits for ever (the server never answers): the index of waiting requests lives as long as it does.
  const waiting = request(socket, make, { replyIdOf, timeoutMs: Infinity }).subscribe({
    error: (error: unknown) => errors.push(String(error)),
  });
  await firstValueFrom(
    socket.state$.pipe(
      filter((state) => state.status === 'open'),
      timeout(10_000),
    ),
  );

  let sent = 0;
  const send = (): void => socket.send(make(`s-${++sent}`));
  const letGo = (): void =>
    request(socket, make, { replyIdOf, timeoutMs: Infinity })
      .subscribe({ error: (error: unknown) => errors.push(String(error)) })
      .unsubscribe();
  /** `count` of `job`, in blocks, the socket's writes let out between two. */
  const repeat = async (count: number, job: () => void): Promise<void> => {
    for (let done = 0; done < count; done += 100) {
      for (let i = 0; i < Math.min(100, count - done); i++) job();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (performance.now() > deadline) throw new Error(`the run took longer than its budget of ${args.budgetMs} ms`);
  };
  const measure = async (job: () => void): Promise<RequestFit> => {
    await repeat(args.warmup, job);
    const counts: number[] = [];
    const heapBytes: number[] = [];
    for (let point = 0; point <= args.checkpoints; point++) {
      if (point > 0) await repeat(args.requestsPerCheckpoint, job);
      counts.push(point * args.requestsPerCheckpoint);
      heapBytes.push(await lowestSettledHeap());
    }
    return { counts, heapBytes, bytesPerRequest: medianSlope(counts.slice(1), heapBytes.slice(1)) };
  };

  const sends = await measure(send);
  const requests = await measure(letGo);
  waiting.unsubscribe();
  await firstValueFrom(
    socket.state$.pipe(
      filter((state) => state.status === 'closed'),
      timeout(10_000),
    ),
  );
  await server.exit();
  return { sends, requests, errors: errors.slice(0, 20) };
});
