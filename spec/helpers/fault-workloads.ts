import { firstValueFrom, filter, timeout } from 'rxjs';
import { mulberry32 } from '../../bench/storm';
import {
  constantBackoff,
  exponentialBackoff,
  fromWebSocket,
  MessageNotSentError,
  TransportError,
  type SendQueueOverflowError,
  type BackoffStrategy,
  type CloseInfo,
  type ReactiveWebSocket,
} from '../../lib/index';
import { account, createLedger, type Accounting, type Ledger } from './ledger';
import { startTcpProxy } from './tcp-proxy';
import { Changes, within } from './wait';
import { startServer, type TestServer } from './ws-server';
import type { RawData } from 'ws';

const text = (data: RawData): string =>
  (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString();

const reportOf = (error: SendQueueOverflowError | MessageNotSentError | undefined): string =>
  error instanceof MessageNotSentError
    ? `${error.reason} of ${error.messages.join()}`
    : `${error?.name} of ${String(error?.rejected)}`;

/** Errors that a dropped connection legitimately reports on error$ (connection refused, reset...). */
export function isExpectedDropError(error: unknown): boolean {
  return error instanceof TransportError;
}

/** Watches the process for errors nobody handled, for the length of a workload. */
function watchUnhandled(): { readonly errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (error: unknown): void => void errors.push(error);
  process.on('uncaughtExceptionMonitor', onError);
  process.on('unhandledRejection', onError);
  return {
    errors,
    stop() {
      process.off('uncaughtExceptionMonitor', onError);
      process.off('unhandledRejection', onError);
    },
  };
}

const whenOpen = (socket: ReactiveWebSocket<unknown, string>, ms: number, what: string): Promise<unknown> =>
  firstValueFrom(
    socket.state$.pipe(
      filter((s) => s.status === 'open'),
      timeout({ first: ms, with: () => Promise.reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }),
    ),
  );

// ---------------------------------------------------------------------------------------------------------------
// Server restarts

export interface RestartOptions {
  /** How the server goes down: a close frame to every client, or sockets destroyed without one. */
  readonly mode: 'graceful' | 'abrupt';
  readonly rounds: number;
  /** In graceful mode, the close code of each round (cycled). @default [1001] */
  readonly closeCodes?: readonly number[];
  /** Messages the server must receive on each connection before it goes down. @default 60 */
  readonly messagesPerRound?: number;
  /** @default 20 */
  readonly queueLimit?: number;
  readonly backoff?: BackoffStrategy;
  /** Bound on every wait. @default 10_000 */
  readonly stepTimeoutMs?: number;
}

export interface Outage {
  /** The close that ended the connection, as close$ gave it. */
  readonly close: CloseInfo | undefined;
  /** From taking the server down to close$. */
  readonly detectMs: number;
  /** From close$ to the next open$. */
  readonly downMs: number;
  /** The delay the client announced (state$ 'reconnecting') before its first attempt after the close. */
  readonly firstDelayMs: number;
  /** Attempts refused while the server was down. */
  readonly refusedAttempts: number;
  /** Messages lost in flight on the connection that went down, and when they were handed to send, from the kill. */
  readonly lost: number;
  readonly lostSentFromMs: number | undefined;
  readonly lostSentToMs: number | undefined;
}

export interface RestartFigures {
  readonly mode: 'graceful' | 'abrupt';
  readonly rounds: number;
  readonly accounting: Accounting;
  /** One per round. */
  readonly outages: readonly Outage[];
  readonly unexpectedErrors: unknown[];
  readonly unhandled: unknown[];
  readonly durationMs: number;
}

/**
 * A client sends a numbered stream (about one message per millisecond) while its server goes down and comes back
 * on the same port, `rounds` times. The queue is kept small so that each outage overflows it.
 */
export async function runServerRestarts(options: RestartOptions): Promise<RestartFigures> {
  const {
    mode,
    rounds,
    closeCodes = [1001],
    messagesPerRound = 60,
    queueLimit = 20,
    backoff = constantBackoff({ delayMs: 25 }),
    stepTimeoutMs = 10_000,
  } = options;
  const started = performance.now();
  const unhandled = watchUnhandled();
  const arrived: number[] = [];
  const arrivals = new Changes();
  const listen = (server: TestServer): TestServer => {
    server.wss.on('connection', (ws) =>
      ws.on('message', (data) => {
        arrived.push(Number(text(data)));
        arrivals.notify();
      }),
    );
    return server;
  };
  let server = listen(await startServer());
  const { port } = server;
  const socket = fromWebSocket<string, string>(server.url, {
    reconnect: { backoff },
    sendQueue: { maxMessages: queueLimit },
  });
  const ledger = createLedger(socket);
  const closes: { close: CloseInfo; at: number }[] = [];
  const opensAt: number[] = [];
  const delays: { delayMs: number; at: number }[] = [];
  const timeline = [
    socket.close$.subscribe((close) => closes.push({ close, at: performance.now() })),
    socket.open$.subscribe(() => opensAt.push(performance.now())),
    socket.state$.subscribe((s) => {
      if (s.status === 'reconnecting') delays.push({ delayMs: s.delayMs, at: performance.now() });
    }),
    // The streams above only observe: this holds the connection for the whole run.
    socket.connect(),
  ];
  const kills: number[] = [];
  const sender = setInterval(() => ledger.sendNext(), 1);
  try {
    for (let round = 0; round < rounds; round++) {
      const client = await within(server.nextClient(), stepTimeoutMs, `connection ${round + 1}`);
      await within(
        client.receivedCount(messagesPerRound),
        stepTimeoutMs,
        `${messagesPerRound} messages in round ${round + 1}`,
      );
      const reportedBefore = ledger.reported.length;
      kills.push(performance.now());
      if (mode === 'graceful') {
        const code = closeCodes[round % closeCodes.length] as number;
        for (const c of server.clients) c.socket.close(code, 'restarting');
        await within(Promise.all(server.clients.map((c) => c.closed)), stepTimeoutMs, 'the closing handshakes');
      }
      await server.close();
      // Stay down until an attempt has been refused and the queue has overflowed, so both paths are exercised.
      await firstValueFrom(
        socket.state$.pipe(
          filter((s) => s.status === 'reconnecting' && s.attempt >= 2 && ledger.reported.length > reportedBefore),
          timeout(stepTimeoutMs + 3_000),
        ),
      );
      server = listen(await startServer({}, port));
    }
    const last = await within(server.nextClient(), stepTimeoutMs, 'the last connection');
    await within(last.receivedCount(messagesPerRound), stepTimeoutMs, 'messages on the last connection');
    clearInterval(sender);
    await whenOpen(socket, stepTimeoutMs, 'the last open');
    const final = ledger.sendNext();
    await arrivals.until(() => arrived.includes(final), stepTimeoutMs, `message ${final}`);
  } finally {
    clearInterval(sender);
    socket.close();
    for (const s of timeline) s.unsubscribe();
    ledger.stop();
    await server.close();
    unhandled.stop();
  }
  const accounting = account(ledger.sent, arrived, ledger.reported);
  const outages = kills.map((kill, round): Outage => {
    const close = closes.find((c) => c.at >= kill);
    const closeAt = close?.at ?? NaN;
    const reopenAt = opensAt.find((o) => o > closeAt) ?? NaN;
    const loss = accounting.lossesByConnection.find((l) => l.connection === round + 1);
    return {
      close: close?.close,
      detectMs: closeAt - kill,
      downMs: reopenAt - closeAt,
      firstDelayMs: delays.find((d) => d.at >= closeAt)?.delayMs ?? NaN,
      refusedAttempts: closes.filter((c) => c.at > closeAt && c.at < reopenAt).length,
      lost: loss?.count ?? 0,
      lostSentFromMs: loss && loss.firstLostAt - kill,
      lostSentToMs: loss && loss.lastLostAt - kill,
    };
  });
  return {
    mode,
    rounds,
    accounting,
    outages,
    unexpectedErrors: ledger.otherErrors.filter((e) => !isExpectedDropError(e)),
    unhandled: unhandled.errors,
    durationMs: performance.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Random cuts through a proxy

export interface CutOptions {
  readonly clients: number;
  readonly durationMs: number;
  /** Stops cutting after this many cuts even if time remains. */
  readonly maxCuts: number;
  readonly seed: number;
  /** Pause between cuts, drawn uniformly. @default [10, 150] */
  readonly pauseMs?: readonly [number, number];
  /** @default 10_000 */
  readonly settleTimeoutMs?: number;
}

export interface ClientFigures {
  /** Client to server. */
  readonly up: Accounting;
  /** Server to client: messages received, and ids skipped (lost in flight) or seen twice or late. */
  readonly down: {
    readonly received: number;
    readonly lost: number;
    readonly duplicates: number;
    readonly outOfOrder: number;
  };
  readonly opens: number;
}

export interface CutFigures {
  readonly clients: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly cuts: {
    readonly one: number;
    readonly all: number;
    readonly midChunkArmed: number;
    readonly midChunkCut: number;
  };
  readonly connectionsAccepted: number;
  readonly perClient: ClientFigures[];
  /** After the last cut, until every client was open again and had a message through in each direction. */
  readonly settleMs: number;
  readonly unexpectedErrors: unknown[];
  readonly streamErrors: unknown[];
  readonly unhandled: unknown[];
}

/**
 * `clients` clients, each sending a numbered stream and receiving one, through a TCP proxy that cuts connections
 * at random moments (one, all, or in the middle of the next chunk) for `durationMs`.
 */
export async function runRandomCuts(options: CutOptions): Promise<CutFigures> {
  const { clients: count, durationMs, maxCuts, seed, pauseMs = [10, 150], settleTimeoutMs = 10_000 } = options;
  const random = mulberry32(seed);
  const unhandled = watchUnhandled();
  const server = await startServer();
  const proxy = await startTcpProxy(server.port);
  const arrived: number[][] = Array.from({ length: count }, () => []);
  const arrivals = new Changes();
  const downCounters = new Array<number>(count).fill(0);
  server.wss.on('connection', (ws, request) => {
    const id = Number(new URL(request.url ?? '/', 'ws://x').searchParams.get('c'));
    ws.on('message', (data) => {
      arrived[id]?.push(Number(text(data)));
      arrivals.notify();
    });
    const feed = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return;
      const n = downCounters[id] ?? 0;
      downCounters[id] = n + 1;
      ws.send(String(n));
    }, 3);
    ws.on('close', () => clearInterval(feed));
  });

  const down = Array.from({ length: count }, () => ({ received: 0, last: -1, lost: 0, duplicates: 0, outOfOrder: 0 }));
  const streamErrors: unknown[] = [];
  const sockets: ReactiveWebSocket<unknown, string>[] = [];
  const ledgers: Ledger[] = [];
  for (let i = 0; i < count; i++) {
    const socket = fromWebSocket<string, string>(`${proxy.url}/?c=${i}`, {
      reconnect: { backoff: exponentialBackoff({ initialDelayMs: 40, maxDelayMs: 200, jitter: 'full' }) },
      sendQueue: { maxMessages: 50 },
    });
    sockets.push(socket);
    ledgers.push(createLedger(socket));
    const d = down[i] as (typeof down)[number];
    socket.message$.subscribe({
      next: (data) => {
        const n = Number(data);
        d.received++;
        if (n === d.last) d.duplicates++;
        else if (n < d.last) d.outOfOrder++;
        else {
          d.lost += n - d.last - 1;
          d.last = n;
        }
        arrivals.notify();
      },
      error: (error: unknown) => streamErrors.push(error),
    });
  }
  const sender = setInterval(() => {
    for (const ledger of ledgers) ledger.sendNext();
  }, 2);
  const cuts = { one: 0, all: 0, midChunkArmed: 0, midChunkCut: 0 };
  let settleMs: number | undefined;
  try {
    await Promise.all(sockets.map((s, i) => whenOpen(s, settleTimeoutMs, `client ${i} to open`)));
    const started = performance.now();
    let total = 0;
    while (performance.now() - started < durationMs && total < maxCuts) {
      const [low, high] = pauseMs;
      // Pacing the fault injection, not waiting for anything.
      await new Promise((resolve) => setTimeout(resolve, low + random() * (high - low)));
      const dice = random();
      if (dice < 0.4) cuts.one += proxy.cutOne(random) ? 1 : 0;
      else if (dice < 0.6) {
        proxy.cutAll();
        cuts.all++;
      } else cuts.midChunkArmed += proxy.cutMidChunk(random);
      total++;
    }
    proxy.disarm();
    const calm = performance.now();
    // No cut from here on. Every client must come back and get messages through both ways: first one sent after
    // the calm (the sender keeps going), then, once the sender stops and the client is open, one more.
    const downMarks = down.map((d) => d.last);
    const sentAtCalm = ledgers.map((l) => l.sent.length);
    const describe = (): string =>
      sockets
        .map((socket, i) => {
          let status = '';
          socket.state$.subscribe((st) => (status = st.status)).unsubscribe();
          const last = (arrived[i] as number[]).at(-1);
          return (
            `client ${i}: ${status} (readyState ${socket.readyState}, ${socket.bufferedAmount} B buffered or queued), ` +
            `last arrived ${last} of ${ledgers[i]?.sent.length} sent, down ${down[i]?.last} (${downMarks[i]} at calm), ` +
            `${ledgers[i]?.reported.length} reported (last ${ledgers[i]?.reported.at(-1)}, ${reportOf(ledgers[i]?.lastReport)}), ${ledgers[i]?.opens} opens, ` +
            `next after it ${JSON.stringify(ledgers[i]?.sent[(last ?? -1) + 1])}, calm at ${calm.toFixed(0)}, now ${performance.now().toFixed(0)}`
          );
        })
        .join('; ') + `; proxy pairs open ${proxy.open}, server connections ${server.wss.clients.size}`;
    const settled = (condition: () => boolean, what: string): Promise<void> =>
      arrivals.until(condition, settleTimeoutMs, what).catch((error: Error) => {
        throw new Error(`${error.message}: ${describe()}`);
      });
    await settled(
      () =>
        ledgers.every((_l, i) => ((arrived[i] as number[]).at(-1) ?? -1) >= (sentAtCalm[i] as number)) &&
        down.every((d, i) => d.last > (downMarks[i] as number)),
      'every client to get a message through each way after the last cut',
    );
    clearInterval(sender);
    // The sender's last message may have found its client still reconnecting with a full queue, and been reported as
    // refused. Once each client is open (what it queued flushed), it sends one more, which must arrive.
    await Promise.all(sockets.map((s, i) => whenOpen(s, settleTimeoutMs, `client ${i} to be open after the calm`)));
    const finals = ledgers.map((l) => l.sendNext());
    await settled(
      () => finals.every((id, i) => (arrived[i] as number[]).includes(id)),
      'the last message of every client',
    );
    settleMs = performance.now() - calm;
    cuts.midChunkCut = proxy.midChunkCuts;
  } finally {
    clearInterval(sender);
    for (const s of sockets) s.close();
    for (const l of ledgers) l.stop();
    await proxy.close();
    await server.close();
    unhandled.stop();
  }
  return {
    clients: count,
    durationMs,
    seed,
    cuts,
    connectionsAccepted: proxy.accepted,
    perClient: ledgers.map((ledger, i) => ({
      up: account(ledger.sent, arrived[i] as number[], ledger.reported),
      down: {
        received: (down[i] as (typeof down)[number]).received,
        lost: (down[i] as (typeof down)[number]).lost,
        duplicates: (down[i] as (typeof down)[number]).duplicates,
        outOfOrder: (down[i] as (typeof down)[number]).outOfOrder,
      },
      opens: ledger.opens,
    })),
    settleMs: settleMs ?? NaN,
    unexpectedErrors: ledgers.flatMap((l) => l.otherErrors.filter((e) => !isExpectedDropError(e))),
    streamErrors,
    unhandled: unhandled.errors,
  };
}
