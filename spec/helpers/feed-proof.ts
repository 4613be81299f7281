/**
 * The end-to-end proof of streams that survive reconnection, with the library client: `fromWebSocket` + `json()` +
 * one resumable `multiplex` channel per feed channel + numbered `request(..., { resend: 'on-reconnect' })`, against
 * the reference feed server (examples/feed-server). Both directions are numbered and accounted exactly:
 *
 * - down: every message published on a channel is delivered to each client's channel subscriber once, in order;
 * - up: every request a client makes is run by the server once (the `take` operation below records each run, in the
 *   order the server ran them), and answered to the client once.
 *
 * The workloads (server restarts and kills on one Redis history; random TCP cuts under several clients) are shared
 * by the specs of spec/integration/feed-server and by `npm run soak`, which runs them with the big counts.
 */
import { Subscription } from 'rxjs';
import { startFeedPublisher } from '../../examples/feed-server/publisher';
import { startFeedServer, type FeedServer } from '../../examples/feed-server/server';
import type { Operation } from '../../examples/feed-server/operations';
import {
  constantBackoff,
  fromWebSocket,
  json,
  multiplex,
  request,
  type ReactiveWebSocket,
  type ResumeEvent,
} from '../../lib/index';
import { startTcpProxy } from './tcp-proxy';
import { Changes } from './wait';

export type ProofReply = {
  readonly type: 'reply';
  readonly id: string;
  /** The `take` operation's answer (`{ value }` for the built-in `incr`). */
  readonly data?: { readonly client?: string; readonly n?: number; readonly runs?: number; readonly value?: number };
  readonly error?: { readonly code: string; readonly message: string };
};
export type ProofMessage = {
  readonly type: 'message';
  readonly channel: string;
  readonly cursor: string;
  readonly data: { readonly n: number };
};
export type ProofServerMsg =
  | { readonly type: 'subscribed'; readonly channel: string; readonly recovered?: boolean }
  | ProofMessage
  | ProofReply
  | { readonly type: 'unsubscribed' | 'error'; readonly channel: string };
export type ProofClientMsg =
  | { readonly type: 'subscribe'; readonly channel: string; readonly since?: string }
  | { readonly type: 'unsubscribe'; readonly channel: string }
  | { readonly type: 'request'; readonly id: string; readonly data: Readonly<Record<string, unknown>> };

/** What the server's `take` operation saw: each client's request numbers, in the order it ran them. */
export interface Executions {
  readonly operation: Operation;
  readonly runs: Map<string, number[]>;
  /** Notified on each run. */
  readonly changes: Changes;
}

/** The `take` operation: records that request `n` of `client` ran, and answers how often it has run (1, once). */
export function createExecutions(): Executions {
  const runs = new Map<string, number[]>();
  const counts = new Map<string, number>();
  const changes = new Changes();
  return {
    runs,
    changes,
    operation: (args) => {
      const client = String(args.client);
      const n = Number(args.n);
      let list = runs.get(client);
      if (!list) runs.set(client, (list = []));
      list.push(n);
      const key = `${client}:${n}`;
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      changes.notify();
      return { client, n, runs: count };
    },
  };
}

/** A library client of the feed: resumable channels, numbered requests, and what each delivered. */
export interface ProofClient {
  readonly name: string;
  readonly socket: ReactiveWebSocket<ProofServerMsg, ProofClientMsg>;
  /** Per channel, the `n` of every message delivered to the channel's subscriber, in order. */
  readonly delivered: Map<string, number[]>;
  /** Per channel, every resume event the channel told the app of. */
  readonly resumed: Map<string, ResumeEvent[]>;
  /** Per request number, every reply the app got for it. */
  readonly replies: Map<number, ProofReply[]>;
  /** What ended a request or a channel with an error (none expected). */
  readonly errors: unknown[];
  /** Requests made so far (numbered 1..asked). */
  readonly asked: number;
  readonly changes: Changes;
  /** Makes the next `count` numbered requests, all at once (each sent now, or queued until the next open). */
  ask(count: number): void;
  /** Resolves once every channel has delivered `n` messages and every request made is answered. */
  settled(n: number, timeoutMs: number, what: string): Promise<void>;
  /** Resolves once every channel has been told of `n` resubscriptions. */
  resumedAll(n: number, timeoutMs: number, what: string): Promise<void>;
  close(): void;
}

/** Options of {@link createProofClient}. */
export interface ProofClientOptions {
  readonly name: string;
  readonly url: string;
  readonly channels: readonly string[];
  /** The request timeout: far above any outage of the workload, far below the server's reply TTL. */
  readonly requestTimeoutMs?: number;
  /** Reconnection delay after a drop, in milliseconds. */
  readonly delayMs?: number;
  /** The `data` of request `n`; by default the `take` operation's, `{ op: 'take', client: name, n }`. */
  readonly requestData?: (n: number) => Readonly<Record<string, unknown>>;
}

export function createProofClient(options: ProofClientOptions): ProofClient {
  const { name, url, channels, requestTimeoutMs = 60_000, delayMs = 20 } = options;
  const requestData = options.requestData ?? ((n: number) => ({ op: 'take', client: name, n }));
  const socket = fromWebSocket<ProofServerMsg, ProofClientMsg>(url, {
    ...json<ProofServerMsg, ProofClientMsg>(),
    reconnect: { backoff: constantBackoff({ delayMs, jitter: 'none' }) },
    // Requests made while the server is down wait in the queue, however many.
    sendQueue: { maxMessages: Infinity, maxBytes: Infinity },
  });
  const changes = new Changes();
  const delivered = new Map<string, number[]>(channels.map((channel) => [channel, []]));
  const resumed = new Map<string, ResumeEvent[]>(channels.map((channel) => [channel, []]));
  const replies = new Map<number, ProofReply[]>();
  const errors: unknown[] = [];
  const subscription = new Subscription();
  let asked = 0;
  let answered = 0;

  for (const channel of channels) {
    subscription.add(
      multiplex(
        socket,
        (cursor): ProofClientMsg => ({ type: 'subscribe', channel, ...(cursor !== undefined && { since: cursor }) }),
        (): ProofClientMsg => ({ type: 'unsubscribe', channel }),
        (msg): msg is ProofMessage => msg.type === 'message' && msg.channel === channel,
        {
          cursorOf: (msg) => msg.cursor,
          isRecovered: (msg) => (msg.type === 'subscribed' && msg.channel === channel ? msg.recovered : undefined),
          onResume: (event) => {
            resumed.get(channel)?.push(event);
            changes.notify();
          },
        },
      ).subscribe({
        next: (msg) => {
          delivered.get(channel)?.push(msg.data.n);
          changes.notify();
        },
        error: (error: unknown) => {
          errors.push(error);
          changes.notify();
        },
      }),
    );
  }

  const isReply = (msg: ProofServerMsg, id: string): msg is ProofReply => msg.type === 'reply' && msg.id === id;
  const ask = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const n = ++asked;
      subscription.add(
        request(socket, (id) => ({ type: 'request', id, data: requestData(n) }), {
          isReply,
          resend: 'on-reconnect',
          timeoutMs: requestTimeoutMs,
        }).subscribe({
          next: (reply) => {
            let list = replies.get(n);
            if (!list) replies.set(n, (list = []));
            list.push(reply);
            answered++;
            changes.notify();
          },
          error: (error: unknown) => {
            errors.push(error);
            changes.notify();
          },
        }),
      );
    }
  };
  const count = (map: Map<string, unknown[]>, channel: string): number => map.get(channel)?.length ?? 0;
  return {
    name,
    socket,
    delivered,
    resumed,
    replies,
    errors,
    changes,
    get asked() {
      return asked;
    },
    ask,
    settled: (n, timeoutMs, what) =>
      changes.until(
        () => errors.length > 0 || (answered >= asked && channels.every((channel) => count(delivered, channel) >= n)),
        timeoutMs,
        `${name}: ${what}`,
      ),
    resumedAll: (n, timeoutMs, what) =>
      changes.until(
        () => errors.length > 0 || channels.every((channel) => count(resumed, channel) >= n),
        timeoutMs,
        `${name}: ${what}`,
      ),
    close: () => {
      subscription.unsubscribe();
      socket.close();
    },
  };
}

/** One direction of one stream, numbered 1..sent, against what arrived. */
export interface StreamAccount {
  readonly sent: number;
  /** Distinct numbers that arrived. */
  readonly delivered: number;
  readonly lost: number;
  /** Arrivals beyond the first of a number. */
  readonly duplicated: number;
  /** Arrivals not greater than the one before. */
  readonly outOfOrder: number;
}

export function accountStream(sent: number, arrived: readonly number[]): StreamAccount {
  const seen = new Set<number>();
  let duplicated = 0;
  let outOfOrder = 0;
  let previous = 0;
  for (const n of arrived) {
    if (seen.has(n)) duplicated++;
    else if (n >= 1 && n <= sent) seen.add(n);
    if (n <= previous) outOfOrder++;
    previous = n;
  }
  return { sent, delivered: seen.size, lost: sent - seen.size, duplicated, outOfOrder };
}

/** Sums accounts (the clients' and channels'). */
export function sumAccounts(accounts: readonly StreamAccount[]): StreamAccount {
  const sum = (pick: (a: StreamAccount) => number): number => accounts.reduce((s, a) => s + pick(a), 0);
  return {
    sent: sum((a) => a.sent),
    delivered: sum((a) => a.delivered),
    lost: sum((a) => a.lost),
    duplicated: sum((a) => a.duplicated),
    outOfOrder: sum((a) => a.outOfOrder),
  };
}

/** What a proof found, in both directions, over all its clients. */
export interface ProofLedger {
  /** Server → app: the messages of every channel, per client. */
  readonly down: StreamAccount;
  /** App → server: the requests, as the server ran them (`take`), per client. */
  readonly up: StreamAccount;
  /** Server → app: the replies, as the app got them. */
  readonly replies: StreamAccount;
  /** Replies that were an error, or said the request ran more than once. */
  readonly badReplies: number;
  /** The first few of them. */
  readonly badReplySamples: readonly ProofReply[];
  /** Resubscriptions the channels were told of: filled (`recovered: true`) or not. */
  readonly resumes: { readonly recovered: number; readonly notRecovered: number };
  /** What ended a request or a channel with an error, as strings. */
  readonly errors: readonly string[];
}

export function ledgerOf(clients: readonly ProofClient[], published: number, executions: Executions): ProofLedger {
  const down: StreamAccount[] = [];
  const up: StreamAccount[] = [];
  const replies: StreamAccount[] = [];
  let badReplies = 0;
  const badReplySamples: ProofReply[] = [];
  let recovered = 0;
  let notRecovered = 0;
  for (const client of clients) {
    for (const arrived of client.delivered.values()) down.push(accountStream(published, arrived));
    for (const events of client.resumed.values()) {
      for (const event of events) {
        if (event.recovered) recovered++;
        else notRecovered++;
      }
    }
    up.push(accountStream(client.asked, executions.runs.get(client.name) ?? []));
    const answered: number[] = [];
    for (const [n, list] of [...client.replies].sort(([a], [b]) => a - b)) {
      for (const reply of list) {
        answered.push(n);
        if (reply.error !== undefined || reply.data?.runs !== 1 || reply.data.n !== n) {
          badReplies++;
          if (badReplySamples.length < 5) badReplySamples.push(reply);
        }
      }
    }
    replies.push(accountStream(client.asked, answered));
  }
  return {
    down: sumAccounts(down),
    up: sumAccounts(up),
    replies: sumAccounts(replies),
    badReplies,
    badReplySamples,
    resumes: { recovered, notRecovered },
    errors: clients.flatMap((client) => client.errors.map(String)),
  };
}

/** Whether a ledger shows exactly once and in order, both ways. */
export function exactlyOnce(ledger: ProofLedger): boolean {
  const clean = (a: StreamAccount): boolean => a.lost === 0 && a.duplicated === 0 && a.outOfOrder === 0;
  return clean(ledger.down) && clean(ledger.up) && ledger.badReplies === 0 && ledger.errors.length === 0;
}

/** Splits `total` into `parts` near-equal whole parts. */
function split(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts),
  );
}

/** Options of {@link runRestartProof}. */
export interface RestartProofOptions {
  readonly redisUrl: string;
  /** Keys of this run in the shared Redis. */
  readonly keyPrefix: string;
  readonly channels: readonly string[];
  /** Messages published on each channel in all (the first of each before the first stop). */
  readonly messagesPerChannel: number;
  /** Requests made in all. */
  readonly requests: number;
  /** Stops of the server, alternately graceful (`close()`, 1001) and abrupt (`kill()`, no close frame). */
  readonly stops: number;
  /** Bound on each wait, in milliseconds. */
  readonly stepTimeoutMs: number;
}

/** Figures of a proof run. */
export interface ProofFigures {
  readonly ledger: ProofLedger;
  readonly clients: number;
  readonly channels: number;
  readonly published: number;
  readonly requests: number;
  readonly durationMs: number;
}

export interface RestartProofFigures extends ProofFigures {
  readonly graceful: number;
  readonly abrupt: number;
  /** Requests the servers answered from the store of replies (resent, not run again). */
  readonly repeats: number;
}

/**
 * One library client on a feed server whose history (and store of replies) is in Redis, while the server is stopped
 * and started again on the same port, alternately gracefully and by a kill; half of each round's messages are
 * published and half of its requests made while the server is down.
 */
export async function runRestartProof(options: RestartProofOptions): Promise<RestartProofFigures> {
  const { redisUrl, keyPrefix, channels, messagesPerChannel, requests, stops, stepTimeoutMs } = options;
  const started = performance.now();
  const historyLength = 2 * Math.ceil(messagesPerChannel / stops) + 100;
  const publisher = await startFeedPublisher({ redisUrl, keyPrefix, channels, rateHz: 0, historyLength });
  const executions = createExecutions();
  let repeats = 0;
  const serve = (port: number): Promise<FeedServer> =>
    startFeedServer({
      port,
      redisUrl,
      keyPrefix,
      channels,
      publish: false,
      historyLength,
      operations: { take: executions.operation },
      log: false,
    });
  let server = await serve(0);
  const port = server.port;
  const client = createProofClient({ name: 'client-1', url: server.url, channels });
  const subscribed = waitSubscribed(client, channels.length, stepTimeoutMs);
  let published = 0;
  const publishAll = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      published++;
      await Promise.all(channels.map((channel) => publisher.publish(channel, { n: published })));
    }
  };
  let graceful = 0;
  let abrupt = 0;
  try {
    // Every channel delivers once before the first stop: a channel with no cursor could not resume.
    await subscribed;
    await publishAll(1);
    await client.settled(1, stepTimeoutMs, 'the first message of every channel');
    const messages = split(messagesPerChannel - 1, stops);
    const asks = split(requests, stops);
    for (let round = 0; round < stops; round++) {
      const [before, during] = split(messages[round] ?? 0, 2) as [number, number];
      const [askBefore, askDuring] = split(asks[round] ?? 0, 2) as [number, number];
      await publishAll(before);
      // The stop comes while requests are in flight: some run, their replies not out yet.
      const ran = executions.runs.get(client.name)?.length ?? 0;
      client.ask(askBefore);
      await executions.changes.until(
        () => (executions.runs.get(client.name)?.length ?? 0) > ran,
        stepTimeoutMs,
        `a request of round ${round + 1} to run`,
      );
      repeats += server.stats().repeats;
      if (round % 2 === 0) {
        await server.close();
        graceful++;
      } else {
        await server.kill();
        abrupt++;
      }
      client.ask(askDuring);
      await publishAll(during);
      server = await serve(port);
      await client.resumedAll(round + 1, stepTimeoutMs, `the resubscriptions after stop ${round + 1}`);
    }
    await client.settled(published, stepTimeoutMs, `all ${published} messages and ${client.asked} replies`);
    repeats += server.stats().repeats;
    return {
      ledger: ledgerOf([client], published, executions),
      clients: 1,
      channels: channels.length,
      published,
      requests: client.asked,
      durationMs: performance.now() - started,
      graceful,
      abrupt,
      repeats,
    };
  } finally {
    client.close();
    await server.kill();
    await publisher.stop();
  }
}

/** Resolves once the server has answered the first subscribe of every channel (live messages reach it from then). */
export function waitSubscribed(client: ProofClient, channels: number, timeoutMs: number): Promise<void> {
  let answers = 0;
  const subscription = client.socket.message$.subscribe((msg) => {
    if (msg.type === 'subscribed') answers++;
    client.changes.notify();
  });
  return client.changes
    .until(() => answers >= channels, timeoutMs, `${client.name}: the first subscriptions`)
    .finally(() => subscription.unsubscribe());
}

/** Options of {@link runCutProof}. */
export interface CutProofOptions {
  readonly clients: number;
  readonly channels: readonly string[];
  readonly messagesPerChannel: number;
  /** Requests each client makes in all. */
  readonly requestsPerClient: number;
  /** Rounds; each ends with one cut (mid-chunk, one connection, or all of them), picked at random. */
  readonly rounds: number;
  readonly seed: number;
  readonly stepTimeoutMs: number;
}

export interface CutProofFigures extends ProofFigures {
  readonly seed: number;
  readonly cuts: { readonly midChunk: number; readonly one: number; readonly all: number };
  readonly connectionsAccepted: number;
}

/** A small seeded generator, so that a run's cuts can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let state = seed % 2 ** 31;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Several library clients on one feed server (history in memory) through a TCP proxy that cuts their connections at
 * random: armed to cut the next chunk in either direction at a random byte (mid-frame), one connection, or all. Each
 * round every client makes requests and every channel gets messages; the round ends when all of it arrived.
 */
export async function runCutProof(options: CutProofOptions): Promise<CutProofFigures> {
  const {
    clients: clientCount,
    channels,
    messagesPerChannel,
    requestsPerClient,
    rounds,
    seed,
    stepTimeoutMs,
  } = options;
  const started = performance.now();
  const executions = createExecutions();
  const random = seeded(seed);
  const server = await startFeedServer({
    channels,
    publish: false,
    historyLength: 2 * Math.ceil(messagesPerChannel / rounds) + 100,
    operations: { take: executions.operation },
    log: false,
  });
  const proxy = await startTcpProxy(server.port);
  const clients = Array.from({ length: clientCount }, (_, i) =>
    createProofClient({ name: `client-${i + 1}`, url: proxy.url, channels }),
  );
  const cuts = { midChunk: 0, one: 0, all: 0 };
  let published = 0;
  try {
    await Promise.all(clients.map((client) => waitSubscribed(client, channels.length, stepTimeoutMs)));
    published++;
    for (const channel of channels) await server.publish(channel, { n: published });
    await Promise.all(clients.map((client) => client.settled(1, stepTimeoutMs, 'the first message')));
    const messages = split(messagesPerChannel - 1, rounds);
    const asks = split(requestsPerClient, rounds);
    for (let round = 0; round < rounds; round++) {
      const pick = random();
      if (pick < 0.5) {
        proxy.cutMidChunk(random);
        cuts.midChunk++;
      }
      for (const client of clients) client.ask(asks[round] ?? 0);
      const count = messages[round] ?? 0;
      for (let i = 0; i < count; i++) {
        published++;
        for (const channel of channels) await server.publish(channel, { n: published });
        if (i === Math.floor(count / 2) && pick >= 0.5) {
          if (pick < 0.85) {
            if (proxy.cutOne(random)) cuts.one++;
          } else {
            proxy.cutAll();
            cuts.all++;
          }
        }
      }
      await Promise.all(clients.map((client) => client.settled(published, stepTimeoutMs, `round ${round + 1}`)));
      proxy.disarm();
    }
    return {
      ledger: ledgerOf(clients, published, executions),
      clients: clientCount,
      channels: channels.length,
      published,
      requests: clients.reduce((sum, client) => sum + client.asked, 0),
      durationMs: performance.now() - started,
      seed,
      cuts: { ...cuts, midChunk: proxy.midChunkCuts },
      connectionsAccepted: proxy.accepted,
    };
  } finally {
    for (const client of clients) client.close();
    await proxy.close();
    await server.kill();
  }
}
