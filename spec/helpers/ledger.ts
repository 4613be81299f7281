import { MessageNotSentError, SendQueueOverflowError, type ReactiveWebSocket } from '../../lib/index';
import { OPEN } from '../../lib/core/web-socket-like';

/** How one numbered message was handed to `send`. */
export interface SentRecord {
  readonly id: number;
  /**
   * Which connection it was handed to, counting opens from 1: the open one when it went straight to the socket,
   * else the next one (the queue is flushed into the next socket that opens).
   */
  readonly connection: number;
  /** Whether it went straight to an open socket (rather than into the send queue). */
  readonly direct: boolean;
  /** performance.now() at the call. */
  readonly at: number;
}

/**
 * The client's side of a numbered stream: sends ids 0, 1, 2... through one socket and notes, for each, whether it
 * went straight to an open socket, and which ids the library reported as not sent.
 */
export interface Ledger {
  readonly sent: SentRecord[];
  /** Ids reported on error$ as refused by the queue or never sent. */
  readonly reported: number[];
  /** The last error that reported some (for a failure's message). */
  readonly lastReport: SendQueueOverflowError | MessageNotSentError | undefined;
  readonly opens: number;
  /** Sends the next id; returns it. */
  sendNext(): number;
  /** Errors seen on error$ other than the two that account for messages. */
  readonly otherErrors: unknown[];
  stop(): void;
}

export function createLedger(socket: ReactiveWebSocket<unknown, string>): Ledger {
  const sent: SentRecord[] = [];
  const reported: number[] = [];
  let lastReport: SendQueueOverflowError | MessageNotSentError | undefined;
  const otherErrors: unknown[] = [];
  let opens = 0;
  let open = false;
  const subscriptions = [
    socket.open$.subscribe(() => opens++),
    socket.state$.subscribe((state) => (open = state.status === 'open')),
    socket.error$.subscribe((error) => {
      if (error instanceof SendQueueOverflowError) reported.push(Number(error.rejected));
      else if (error instanceof MessageNotSentError) for (const m of error.messages) reported.push(Number(m));
      else return void otherErrors.push(error);
      lastReport = error;
    }),
  ];
  return {
    sent,
    reported,
    otherErrors,
    get lastReport() {
      return lastReport;
    },
    get opens() {
      return opens;
    },
    sendNext() {
      const id = sent.length;
      const direct = open && socket.readyState === OPEN;
      sent.push({ id, connection: direct ? opens : opens + 1, direct, at: performance.now() });
      socket.send(String(id));
      return id;
    },
    stop() {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}

/** The accounting of one numbered stream: what was sent against what the server got and what was reported. */
export interface Accounting {
  readonly sent: number;
  readonly delivered: number;
  readonly reported: number;
  /** Sent, neither delivered nor reported. */
  readonly lost: number[];
  /** Delivered more than once. */
  readonly duplicates: number[];
  /** Delivered after a higher id. */
  readonly outOfOrder: number[];
  /** Both delivered and reported as not sent. */
  readonly deliveredAndReported: number[];
  /** Of the lost, those that had waited in the send queue and were flushed into a socket that then died. */
  readonly lostAfterFlush: number;
  /**
   * Lost although a later message handed to the same connection got through: a loss that is not the tail of a
   * connection that died (TCP delivers in order, so only a tail can be lost in flight). Must be empty.
   */
  readonly lostNotTail: number[];
  /**
   * For each connection (numbered by opens from 1) that lost messages in flight: how many, and when the first and
   * last of them were handed to `send` (performance.now()).
   */
  readonly lossesByConnection: { connection: number; count: number; firstLostAt: number; lastLostAt: number }[];
}

/** `arrived`: the ids as the server received them, in arrival order, across all its connections. */
export function account(
  sent: readonly SentRecord[],
  arrived: readonly number[],
  reported: readonly number[],
): Accounting {
  const seen = new Set<number>();
  const duplicates: number[] = [];
  const outOfOrder: number[] = [];
  let highest = -1;
  for (const id of arrived) {
    if (seen.has(id)) duplicates.push(id);
    seen.add(id);
    if (id < highest) outOfOrder.push(id);
    highest = Math.max(highest, id);
  }
  const reportedSet = new Set(reported);
  const deliveredAndReported = [...reportedSet].filter((id) => seen.has(id));
  const lost = sent.filter((r) => !seen.has(r.id) && !reportedSet.has(r.id));
  // The highest delivered id handed to each connection.
  const lastDelivered = new Map<number, number>();
  for (const r of sent)
    if (seen.has(r.id)) lastDelivered.set(r.connection, Math.max(lastDelivered.get(r.connection) ?? -1, r.id));
  const byConnection = new Map<
    number,
    { connection: number; count: number; firstLostAt: number; lastLostAt: number }
  >();
  for (const r of lost) {
    const entry = byConnection.get(r.connection) ?? {
      connection: r.connection,
      count: 0,
      firstLostAt: r.at,
      lastLostAt: r.at,
    };
    entry.count++;
    entry.lastLostAt = r.at;
    byConnection.set(r.connection, entry);
  }
  return {
    sent: sent.length,
    delivered: seen.size,
    reported: reportedSet.size,
    lost: lost.map((r) => r.id),
    duplicates,
    outOfOrder,
    deliveredAndReported,
    lostAfterFlush: lost.filter((r) => !r.direct).length,
    lostNotTail: lost.filter((r) => (lastDelivered.get(r.connection) ?? -1) > r.id).map((r) => r.id),
    lossesByConnection: [...byConnection.values()],
  };
}
