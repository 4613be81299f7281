import fc from 'fast-check';
import { config, type Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  CallbackError,
  DecodeError,
  EncodeError,
  fromWebSocket,
  MessageNotSentError,
  multiplex,
  RxWebSocketError,
  SendQueueOverflowError,
  type CloseInfo,
  type ConnectionState,
  type ReactiveWebSocket,
  type WebSocketMessageEvent,
} from 'rx-websocket';
import { createWebSocketDouble, type ConnectionDouble, type WebSocketServerDouble } from 'rx-websocket/testing';

// A model-based property test of the socket in virtual time: random sequences of what an application and a server do
// to one socket (sends, subscribers coming and going, opens, messages, drops, closes, refusals, close(), reconnect(),
// send$ ending, callbacks that throw or re-enter, time passing), checked after every step and at the end against a
// small reference model of what the documentation promises.
//
// Bounded by default (200 sequences of at most 30 steps); MODEL_RUNS runs more. A failure prints its seed, path and
// replayPath: MODEL_SEED=<seed> MODEL_PATH=<path> MODEL_REPLAY=<replayPath> replays that counterexample alone.
// MODEL_STATS=1 prints how often the sequences reached each situation.

const URL = 'wss://feed.example/ws';
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
/** The recorded backoff: the delay before attempt n, in milliseconds. */
const backoffMs = (attempt: number): number => 40 * attempt;
const MAX_ATTEMPTS = 2;
const RESET_AFTER_MS = 100;
const CONNECT_TIMEOUT_MS = 2_000;
const MAX_QUEUED = 4;
/** What the serializer refuses (it throws), and what the deserializer refuses. */
const UNSENDABLE = 'unsendable';
const UNDECODABLE = 'undecodable';
/** What the multiplex channel sends and hears. */
const SUBSCRIBE = 'SUB';
const UNSUBSCRIBE = 'UNSUB';
const isChannelMessage = (message: string): boolean => message.startsWith('c');

type Out = string | Uint8Array;
type Socket = ReactiveWebSocket<string, Out>;

/** The bytes of binary message `id`: recognisable, so that a frame is checked byte for byte. */
function binaryOf(id: number): Uint8Array {
  return Uint8Array.from([0xb1, id & 0xff, id >> 8, 0xb2, 1, 2, 3, 4]);
}

/** One subscriber of a stream that holds the connection, and what it has been given. */
interface Holder {
  readonly kind: 'message$' | 'messageEvent$' | 'connect()' | 'channel';
  subscription: Subscription | undefined;
  /** What it should have been given, in order. */
  readonly expected: string[];
  /** What it was given. */
  readonly received: string[];
  /** How it ended, once it did: with how many states state$ had told by then. */
  end: { readonly error?: unknown; readonly told: number } | undefined;
}

/** One state$ subscriber: every state it was given. */
interface StateWatcher {
  subscription: Subscription | undefined;
  readonly states: ConnectionState[];
}

/** The reference model: what must have happened, kept apart from the socket. */
class Model {
  /** Messages the application handed to the socket, by id. */
  nextId = 0;
  /** Ids the application expects to reach the server or be reported, in the order they were sent. */
  readonly pending = new Set<number>();
  /** send$ completed or errored: later send$.next calls are ignored, as a stopped Subject's are. */
  sendStopped = false;
  /** The last holder left an open connection, and nothing asked for a close since: its `closing` is a stop. */
  stopping = false;
  /** A multiplex channel was subscribed: its own messages share the send queue. */
  channels = false;
  /** How many values the serializer throws on were sent. */
  unsendable = 0;
  /** How many messages the deserializer throws on the server sent to a socket the client listened to. */
  undecodable = 0;
  /** Connections the client let go of without a close event (reconnect(), or a close before the open). */
  readonly disposed = new Set<number>();
  /** Connections the server opened. */
  readonly opened = new Set<number>();

  /**
   * @param autoOpen The server opens every connection at once, by itself.
   * @param backoffThrowsAt The attempt whose delay the backoff throws on instead of answering (0: none).
   */
  constructor(
    readonly autoOpen: boolean,
    readonly backoffThrowsAt: number,
  ) {}
}

/** The socket under test, the server double, and what every observer recorded. */
class Harness {
  readonly server: WebSocketServerDouble<string, string>;
  readonly socket: Socket;
  readonly holders: Holder[] = [];
  readonly watchers: StateWatcher[] = [];
  readonly extraObservers: Subscription[] = [];
  /** Every close$ value, and every error$ value, from subscribers that stay for the whole run. */
  readonly closes: CloseInfo[] = [];
  readonly errors: unknown[] = [];
  /** The states in order, with the virtual time of each. */
  readonly states: { readonly state: ConnectionState; readonly at: number }[] = [];
  /** Values the application sent, mapped to their ids (binary values by identity: they are reused or detached). */
  readonly idOf = new Map<unknown, number>();
  /** Ids reported as not sent (on error$ or returned by close()), with how many times. */
  readonly reported = new Map<number, number>();
  /** What close() returned, as ids. */
  readonly returned: number[][] = [];
  /** When reconnect() started a connecting attempt again: a new socket, and no new `connecting` state. */
  readonly restarts = new Set<number>();
  readonly unhandled: unknown[] = [];
  /** EncodeErrors for what the serializer threw on. */
  unsendable = 0;
  /** DecodeErrors for what the deserializer threw on. */
  undecodable = 0;
  /** Inside a close() call. */
  inClose = false;

  constructor(
    readonly scheduler: TestScheduler,
    readonly model: Model,
    /** How long the server takes to answer a close the client starts: 0, or long enough to send meanwhile. */
    closeDelayMs: number,
  ) {
    this.server = createWebSocketDouble<string, string>({ closeDelayMs, autoOpen: model.autoOpen });
    this.socket = fromWebSocket<string, Out>(URL, {
      WebSocketCtor: this.server.WebSocketCtor,
      serializer: (value) => {
        if (value === UNSENDABLE) throw new RangeError('not for the wire');
        return value;
      },
      deserializer: (event: WebSocketMessageEvent) => {
        if (event.data === UNDECODABLE) throw new SyntaxError('not for the application');
        return event.data as string;
      },
      reconnect: {
        backoff: (attempt) => {
          if (attempt === model.backoffThrowsAt) throw new RangeError('no delay for this one');
          return backoffMs(attempt);
        },
        maxAttempts: MAX_ATTEMPTS,
        resetAfterMs: RESET_AFTER_MS,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      },
      sendQueue: { maxMessages: MAX_QUEUED },
    });
    // The observers that stay: the passive streams never hold the connection, so they change nothing.
    this.socket.state$.subscribe((state) => this.states.push({ state, at: scheduler.now() }));
    this.socket.close$.subscribe((close) => this.closes.push(close));
    this.socket.error$.subscribe((error) => this.recordError(error));
  }

  get lastState(): ConnectionState | undefined {
    return this.states[this.states.length - 1]?.state;
  }

  private recordError(error: unknown): void {
    this.errors.push(error);
    // Messages not sent say why: close() reports those it takes back during the call, a send while the client
    // closes is reported while the state says so.
    if (error instanceof MessageNotSentError && error.reason === 'close-called') expect(this.inClose).toBe(true);
    // An overflow only when the queue is full (the rejected message aside).
    if (error instanceof SendQueueOverflowError && !this.model.channels) {
      expect(waiting(this).length - 1).toBe(MAX_QUEUED);
    }
    if (error instanceof MessageNotSentError && error.reason === 'sent-while-closing') {
      expect(this.lastState?.status).toBe('closing');
    }
    const values: readonly unknown[] =
      error instanceof MessageNotSentError
        ? error.messages
        : error instanceof SendQueueOverflowError
          ? [error.rejected]
          : error instanceof EncodeError
            ? [error.value]
            : [];
    for (const value of values) this.report(value);
    if (error instanceof DecodeError) this.undecodable++;
  }

  private report(value: unknown): void {
    if (value === UNSENDABLE) this.unsendable++;
    const id = this.idOf.get(value);
    if (id === undefined) return;
    this.reported.set(id, (this.reported.get(id) ?? 0) + 1);
  }

  /** Registers a value the application sends, with its id. */
  register(value: Out): number {
    const id = this.model.nextId++;
    this.idOf.set(value, id);
    this.model.pending.add(id);
    return id;
  }

  /** Runs everything due now (microtasks included) or within `ms`, and leaves the clock at now + ms. */
  advance(ms: number): void {
    const { scheduler } = this;
    const target = scheduler.now() + ms;
    scheduler.schedule(() => undefined, ms);
    scheduler.maxFrames = target;
    try {
      scheduler.flush();
    } finally {
      scheduler.maxFrames = Infinity;
    }
  }

  hold(kind: Holder['kind']): Holder {
    const holder: Holder = { kind, subscription: undefined, expected: [], received: [], end: undefined };
    this.holders.push(holder);
    const observer = {
      next: (value: unknown) => {
        holder.received.push(
          kind === 'messageEvent$' ? ((value as WebSocketMessageEvent).data as string) : String(value),
        );
      },
      error: (error: unknown) => {
        holder.end = { error, told: this.states.length };
      },
      complete: () => {
        holder.end = { told: this.states.length };
      },
    };
    const { socket } = this;
    holder.subscription =
      kind === 'message$'
        ? socket.message$.subscribe(observer)
        : kind === 'messageEvent$'
          ? socket.messageEvent$.subscribe(observer)
          : kind === 'channel'
            ? multiplex(
                socket,
                () => SUBSCRIBE,
                () => UNSUBSCRIBE,
                (message: string) => isChannelMessage(message),
              ).subscribe(observer)
            : socket.connect();
    return holder;
  }

  /** Holders subscribed and not ended: those that must hear each message. */
  live(): Holder[] {
    // connect() ends with the connection without telling: its subscription is closed then.
    return this.holders.filter(
      (holder) => holder.subscription !== undefined && !holder.subscription.closed && holder.end === undefined,
    );
  }

  /** The newest connection, when the client still listens to it and the server may act on it. */
  latest(readyState: number): ConnectionDouble<string, string> | undefined {
    const { connections } = this.server;
    const latest = connections[connections.length - 1];
    return latest && latest.readyState === readyState && latest.clientClose === undefined ? latest : undefined;
  }

  /** Marks the newest connection let go of (reconnect(), close before open) when it is still live. */
  markDisposedIfLive(): void {
    const latest = this.latest(OPEN) ?? this.latest(CONNECTING);
    if (latest) this.model.disposed.add(latest.index);
  }
}

/** Ids sent that have neither reached the server nor been reported: what waits in the send queue. */
function waiting(h: Harness): number[] {
  const received = new Set(receivedIds(h));
  return [...h.model.pending].filter((id) => !received.has(id) && !h.reported.has(id));
}

/** Ids of the user messages the server received, in the order it received them, each checked byte for byte. */
function receivedIds(h: Harness): number[] {
  const ids: number[] = [];
  for (const connection of h.server.connections) {
    for (const frame of connection.sent) {
      const { data } = frame;
      if (typeof data === 'string') {
        if (data === SUBSCRIBE || data === UNSUBSCRIBE) continue;
        expect(data).toMatch(/^t\d+$/);
        ids.push(Number(data.slice(1)));
      } else {
        expect(data).toBeInstanceOf(Uint8Array);
        const bytes = data as Uint8Array;
        const id = bytes[1]! | (bytes[2]! << 8);
        // The bytes as they were when sent: a buffer reused or detached after the send changes nothing on the wire.
        expect(Array.from(bytes)).toEqual(Array.from(binaryOf(id)));
        ids.push(id);
      }
    }
  }
  return ids;
}

const LEGAL_NEXT: Record<ConnectionState['status'], readonly ConnectionState['status'][]> = {
  idle: ['connecting'],
  connecting: ['open', 'reconnecting', 'closed', 'connecting'],
  open: ['closing', 'reconnecting', 'closed', 'connecting'],
  closing: ['closed'],
  reconnecting: ['connecting', 'closed'],
  closed: ['connecting'],
};

/** Every invariant that holds between any two steps. */
function checkInvariants(h: Harness, final: boolean): void {
  const { model } = h;
  // No uncaught exception anywhere (subscribers here never throw, so RxJS has nothing to report).
  expect(h.unhandled).toEqual([]);

  // Sends: received by the server at most once and in the order sent, or reported once, never both.
  const ids = receivedIds(h);
  for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
  for (const id of ids) expect(h.reported.get(id)).toBeUndefined();
  for (const [id, count] of h.reported) expect([id, count]).toEqual([id, 1]);
  expect(h.unsendable).toBe(model.unsendable);
  // What waits for a connection stays within the queue's bound.
  if (!model.channels) expect(waiting(h).length).toBeLessThanOrEqual(MAX_QUEUED);
  // Every message is decoded, whoever listens: each one the deserializer rejects is one DecodeError.
  expect(h.undecodable).toBe(model.undecodable);
  // error$ is typed: everything on it is one of this library's errors.
  for (const error of h.errors) expect(error).toBeInstanceOf(RxWebSocketError);
  if (final) {
    const received = new Set(ids);
    const lost = [...model.pending].filter((id) => !received.has(id) && !h.reported.has(id));
    expect(lost).toEqual([]);
  }

  // Messages: each holder got each message the server sent while it listened, once and in order.
  for (const holder of h.holders) expect([holder.kind, holder.received]).toEqual([holder.kind, holder.expected]);

  // A holder ends only with the connection: with the `closed` state it stops on (state$ may still be telling it,
  // when a state$ callback ended the connection while another state was being told), message streams with its
  // error, or completing.
  for (const holder of h.holders) {
    const { end } = holder;
    if (!end) continue;
    const closed = h.states.slice(Math.max(0, end.told - 1)).find((entry) => entry.state.status === 'closed')?.state;
    expect(closed?.status).toBe('closed');
    if (closed?.status !== 'closed' || (holder.kind !== 'message$' && holder.kind !== 'messageEvent$')) continue;
    expect('error' in end).toBe('error' in closed);
    expect(end.error).toBe('error' in closed ? closed.error : undefined);
  }

  // States: a legal order, never the same state twice in a row, for every subscriber.
  for (const states of [h.states.map((entry) => entry.state), ...h.watchers.map((watcher) => watcher.states)]) {
    for (let i = 1; i < states.length; i++) {
      const [before, after] = [states[i - 1]!, states[i]!];
      expect([before.status, after.status, LEGAL_NEXT[before.status].includes(after.status)]).toEqual([
        before.status,
        after.status,
        true,
      ]);
      // No repeats: reconnect() while connecting starts the attempt again without saying `connecting` again.
      expect(after).not.toEqual(before);
    }
  }

  // Every state$ subscriber still there ends on the current state.
  for (const watcher of h.watchers) {
    if (watcher.subscription) expect(watcher.states[watcher.states.length - 1]).toBe(h.lastState);
  }

  // A backoff that throws stops the connection with a CallbackError naming it, reported once on error$ first.
  const hookErrors = h.errors.filter((error) => error instanceof CallbackError);
  for (const error of hookErrors) expect(error.hook).toBe('backoff');
  const endedByHook = h.states.filter(
    (entry) => entry.state.status === 'closed' && 'error' in entry.state && entry.state.error instanceof CallbackError,
  );
  expect(endedByHook.map((entry) => (entry.state as { error: unknown }).error)).toEqual(hookErrors);
  for (const { state } of h.states) {
    if (state.status === 'reconnecting') expect(state.attempt).not.toBe(model.backoffThrowsAt);
  }

  // Attempts and delays: what the backoff says, within maxAttempts, each retry exactly after its delay.
  for (let i = 0; i < h.states.length; i++) {
    const { state, at } = h.states[i]!;
    if (state.status !== 'reconnecting') continue;
    expect(state.attempt).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect(state.delayMs).toBe(backoffMs(state.attempt));
    // The default policy retries only transient closes (of those the server here sends: 1001, 1006, 1011).
    if (state.lastClose) expect([1001, 1006, 1011]).toContain(state.lastClose.code);
    const next = h.states[i + 1];
    // (A `connecting` with the count at 0 is reconnect(), which connects at once.)
    if (next?.state.status === 'connecting' && next.state.attempt !== 0) {
      expect([next.state.attempt, next.at - at]).toEqual([state.attempt, state.delayMs]);
    }
  }
  // The attempt count: one more per retry, back to 0 with reconnect() or a new start, and from 1 again once a
  // reconnection has stayed open for resetAfterMs.
  let retries = 0;
  let openAt: number | undefined;
  for (const { state, at } of h.states) {
    if (state.status === 'connecting') {
      if (state.attempt !== retries) expect([state.attempt, 'reconnect()']).toEqual([0, 'reconnect()']);
      retries = state.attempt;
    } else if (state.status === 'open') {
      openAt = at;
    } else if (state.status === 'reconnecting') {
      const stableMs = openAt === undefined ? 0 : at - openAt;
      // (At exactly resetAfterMs the reset and the close share a frame: either order is right.)
      if (stableMs > RESET_AFTER_MS || (stableMs === RESET_AFTER_MS && state.attempt === 1)) retries = 0;
      expect(state.attempt).toBe(retries + 1);
      retries = state.attempt;
      openAt = undefined;
    } else if (state.status === 'closed') {
      retries = 0;
      openAt = undefined;
    }
  }
  // Each socket is made when an attempt starts: at the time of a `connecting` state, or of a reconnect() that started
  // one again.
  const connectingTimes = new Set([
    ...h.states.filter((entry) => entry.state.status === 'connecting').map((entry) => entry.at),
    ...h.restarts,
  ]);
  for (const attempt of h.server.attempts) expect(connectingTimes.has(attempt.time)).toBe(true);

  // close$: one per close of a socket the client still listened to; none for one it let go of.
  const heard = h.server.connections.filter(
    (connection) =>
      connection.closedWith !== undefined &&
      !model.disposed.has(connection.index) &&
      !(connection.clientClose !== undefined && !model.autoOpen && !model.opened.has(connection.index)),
  );
  expect(h.closes).toEqual(heard.map((connection) => connection.closedWith));

  // What close() returned was reported on error$ too (counted once, above).
  for (const returned of h.returned) for (const id of returned) expect(h.reported.get(id)).toBe(1);
}

type Command = fc.Command<Model, Harness>;

/** A command made of a name and a step; every step is followed by the microtasks it queued and the checks. */
function command(name: string, step: (h: Harness, model: Model) => void): Command {
  return {
    check: () => true,
    run: (model, h) => {
      step(h, model);
      h.advance(0);
      checkInvariants(h, false);
    },
    toString: () => name,
  };
}

const send = (how: 'text' | 'reuse' | 'transfer' | 'subject' | 'unsendable'): Command =>
  command(`send(${how})`, (h, model) => {
    // Open: the message goes out now, within the call (checked once the call returns).
    const open = h.lastState?.status === 'open' ? h.latest(OPEN) : undefined;
    const before = open?.sent.length ?? 0;
    const reportsBefore = h.reported.size;
    const { stopping } = model;
    const roomy = !model.channels && waiting(h).length < MAX_QUEUED;
    const stopClosing = h.lastState?.status === 'closing' && stopping && roomy;
    sendOne(h, model, how);
    // While the last holder's leaving closes the connection, a message waits for the next one (it is not reported),
    // unless the queue is full.
    if (stopClosing && how !== 'unsendable') {
      expect(h.reported.size).toBe(reportsBefore);
    }
    if (open && how !== 'unsendable' && !(how === 'subject' && model.sendStopped)) {
      expect(open.sent.length).toBe(before + 1);
    }
  });

function sendOne(h: Harness, model: Model, how: 'text' | 'reuse' | 'transfer' | 'subject' | 'unsendable'): void {
  {
    if (how === 'unsendable') {
      // The serializer throws: an EncodeError on error$, once, the value with it.
      model.unsendable++;
      h.socket.send(UNSENDABLE);
      return;
    }
    if (how === 'text' || how === 'subject') {
      if (how === 'subject' && model.sendStopped) {
        // A stopped send$ ignores next(), as a completed Subject does: nothing to account for.
        h.socket.send$.next('ignored');
        return;
      }
      const value = `t${model.nextId}`;
      h.register(value);
      if (how === 'subject') h.socket.send$.next(value);
      else h.socket.send(value);
      return;
    }
    const value = binaryOf(model.nextId);
    h.register(value);
    h.socket.send(value);
    // Right after the send the application reuses the buffer, or gives it away.
    if (how === 'reuse') value.fill(0xff);
    else structuredClone(value.buffer, { transfer: [value.buffer] });
  }
}

const hold = (kind: Holder['kind']): Command =>
  command(`hold(${kind})`, (h, model) => {
    if (kind === 'channel') model.channels = true;
    h.hold(kind);
  });

const release = (index: number): Command => command(`release(${index})`, (h) => releaseOne(h, index));

/** Unsubscribes one holder (the index-th still subscribed, round). */
function releaseOne(h: Harness, index: number): void {
  const holders = h.holders.filter((holder) => holder.subscription !== undefined);
  const holder = holders[index % Math.max(1, holders.length)];
  if (!holder) return;
  // Let go of a connection the client has not opened yet: it is dropped without a close event.
  if (h.live().length === 1 && h.live()[0] === holder) {
    markStopDisposal(h);
    if (h.lastState?.status === 'open') h.model.stopping = true;
  }
  holder.subscription?.unsubscribe();
  holder.subscription = undefined;
}

/** The last holder is leaving: a connection not yet open is let go of without a close event. */
function markStopDisposal(h: Harness): void {
  const connecting = h.latest(CONNECTING);
  if (connecting) h.model.disposed.add(connecting.index);
}

type Reentry =
  | 'none'
  | 'hold-on-connecting'
  | 'close-on-open'
  | 'reconnect-on-open'
  | 'watch-on-open'
  | 'watch-and-close-on-open'
  | 'release-on-open';

const watchStates = (reentry: Reentry): Command => command(`watchStates(${reentry})`, (h) => watch(h, reentry));

/** A state$ subscriber that, once, does `reentry` from inside its callback. */
function watch(h: Harness, reentry: Reentry, nested = false): void {
  {
    const watcher: StateWatcher = { subscription: undefined, states: [] };
    h.watchers.push(watcher);
    let done = false;
    const current = h.lastState;
    watcher.subscription = h.socket.state$.subscribe((state) => {
      watcher.states.push(state);
      if (done) return;
      if (reentry === 'hold-on-connecting' && state.status === 'connecting') {
        done = true;
        h.hold('message$');
      } else if (reentry === 'close-on-open' && state.status === 'open') {
        done = true;
        closeNow(h);
      } else if ((reentry === 'watch-on-open' || reentry === 'watch-and-close-on-open') && state.status === 'open') {
        done = true;
        watch(h, 'none', true);
        if (reentry === 'watch-and-close-on-open') closeNow(h);
      } else if (reentry === 'release-on-open' && state.status === 'open') {
        done = true;
        releaseOne(h, 0);
      } else if (reentry === 'reconnect-on-open' && state.status === 'open') {
        done = true;
        h.markDisposedIfLive();
        h.socket.reconnect();
      }
    });
    // The current state first, then each change. (From inside a callback, the current state is one that other
    // subscribers may not have been told yet; the order checks cover that watcher.)
    if (!nested) expect(watcher.states[0]).toBe(current);
  }
}

const unwatch = (index: number): Command =>
  command(`unwatch(${index})`, (h) => {
    const watchers = h.watchers.filter((watcher) => watcher.subscription !== undefined);
    const watcher = watchers[index % Math.max(1, watchers.length)];
    watcher?.subscription?.unsubscribe();
    if (watcher) watcher.subscription = undefined;
  });

const observe = (stream: 'close$' | 'error$' | 'open$'): Command =>
  command(`observe(${stream})`, (h) => {
    h.extraObservers.push((h.socket[stream] as Observable<unknown>).subscribe());
  });

const unobserve = (index: number): Command =>
  command(`unobserve(${index})`, (h) => {
    const [subscription] = h.extraObservers.splice(index % Math.max(1, h.extraObservers.length), 1);
    subscription?.unsubscribe();
  });

/** close(code): a socket not yet open is let go of without a close event; what it returns is recorded. */
function closeNow(h: Harness, code?: number): void {
  h.model.stopping = false;
  const connecting = h.latest(CONNECTING);
  if (connecting) h.model.disposed.add(connecting.index);
  h.inClose = true;
  let unsent: readonly Out[];
  try {
    unsent = h.socket.close(code);
  } finally {
    h.inClose = false;
  }
  h.returned.push(unsent.map((value) => h.idOf.get(value) ?? -1).filter((id) => id >= 0));
}

const serverOpen = command('server.open', (h, model) => {
  const connection = h.latest(CONNECTING);
  if (!connection) return;
  model.opened.add(connection.index);
  connection.open();
});

const serverMessage = (kind: 'plain' | 'channel' | 'undecodable'): Command =>
  command(`server.message(${kind})`, (h) => {
    const connection = h.latest(OPEN);
    if (!connection) return;
    if (kind === 'undecodable') h.model.undecodable++;
    const data = kind === 'undecodable' ? UNDECODABLE : `${kind === 'channel' ? 'c' : 'm'}${h.scheduler.now()}`;
    connection.message(data);
    for (const holder of h.live()) {
      if (holder.kind === 'messageEvent$') holder.expected.push(data);
      else if (holder.kind === 'message$' && kind !== 'undecodable') holder.expected.push(data);
      else if (holder.kind === 'channel' && kind === 'channel') holder.expected.push(data);
    }
  });

const serverClose = (code: number): Command => command(`server.close(${code})`, (h) => h.latest(OPEN)?.close(code));
const serverDrop = command('server.drop', (h) => h.latest(OPEN)?.drop());
const serverRefuse = command('server.refuse', (h) => h.latest(CONNECTING)?.refuse());

const close = (code: number): Command => command(`close(${code})`, (h) => closeNow(h, code));

const reconnect = command('reconnect()', (h) => {
  // reconnect() does nothing once close() has been asked for; otherwise it drops the current socket.
  const status = h.lastState?.status;
  if (status === 'open' || status === 'connecting') h.markDisposedIfLive();
  if (status === 'connecting') h.restarts.add(h.scheduler.now());
  h.socket.reconnect();
});

const endSending = (how: 'complete' | 'error'): Command =>
  command(`send$.${how}()`, (h, model) => {
    model.sendStopped = true;
    model.stopping = false;
    if (how === 'complete') h.socket.send$.complete();
    else h.socket.send$.error(new Error('the application is done'));
  });

const advance = (ms: number): Command => command(`advance(${ms})`, (h) => h.advance(ms));

// Weighted so that most sequences get a connection open, messages both ways and several ends.
const commands = fc.commands(
  [
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('text', 'reuse', 'transfer', 'subject', 'unsendable').map(send) },
      { weight: 4, arbitrary: fc.constantFrom('message$', 'messageEvent$', 'connect()', 'channel').map(hold) },
      { weight: 2, arbitrary: fc.nat(7).map(release) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom<Reentry>(
            'none',
            'hold-on-connecting',
            'close-on-open',
            'reconnect-on-open',
            'watch-on-open',
            'watch-and-close-on-open',
            'release-on-open',
          )
          .map(watchStates),
      },
      { weight: 1, arbitrary: fc.nat(3).map(unwatch) },
      { weight: 1, arbitrary: fc.constantFrom('close$', 'error$', 'open$').map(observe) },
      { weight: 1, arbitrary: fc.nat(3).map(unobserve) },
      { weight: 4, arbitrary: fc.constant(serverOpen) },
      { weight: 4, arbitrary: fc.constantFrom('plain', 'channel', 'undecodable').map(serverMessage) },
      { weight: 2, arbitrary: fc.constantFrom(1000, 1001, 1011, 4001).map(serverClose) },
      { weight: 3, arbitrary: fc.constant(serverDrop) },
      { weight: 1, arbitrary: fc.constant(serverRefuse) },
      { weight: 1, arbitrary: fc.constantFrom(1000, 4000).map(close) },
      { weight: 1, arbitrary: fc.constant(reconnect) },
      { weight: 1, arbitrary: fc.constantFrom('complete', 'error').map(endSending) },
      { weight: 4, arbitrary: fc.constantFrom(1, 20, 40, 80, 120, 600, 2_500).map(advance) },
    ),
  ],
  {
    maxCommands: 30,
    size: 'max',
    // With MODEL_SEED and MODEL_PATH, the replayPath a failure prints (commands are replayed from it).
    ...(process.env['MODEL_REPLAY'] !== undefined && { replayPath: process.env['MODEL_REPLAY'] }),
  },
);

/** Runs one sequence in virtual time, then lets go of everything and checks that nothing is left. */
interface Run {
  /** The server opens every connection by itself (else only the sequence's server.open does). */
  readonly autoOpen: boolean;
  readonly closeDelayMs: number;
  /** The attempt whose delay the backoff throws on (0: none). */
  readonly backoffThrowsAt: number;
  readonly sequence: Iterable<Command>;
}

function runSequence({ autoOpen, closeDelayMs, backoffThrowsAt, sequence }: Run): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run(() => {
    const model = new Model(autoOpen, backoffThrowsAt);
    const h = new Harness(scheduler, model, closeDelayMs);
    const previous = config.onUnhandledError;
    config.onUnhandledError = (error) => h.unhandled.push(error);
    try {
      fc.modelRun(() => ({ model, real: h }), sequence);
      // The end: every holder leaves.
      for (const holder of h.holders) {
        if (holder.subscription === undefined) continue;
        if (h.live().length === 1 && h.live()[0] === holder) markStopDisposal(h);
        holder.subscription.unsubscribe();
        holder.subscription = undefined;
      }
      // Nothing left scheduled, no socket left open, once the last holder has left and time has passed.
      h.advance(60_000);
      expect(scheduler.actions.length).toBe(0);
      expect(h.server.connections.filter((connection) => connection.readyState !== CLOSED).map((c) => c.index)).toEqual(
        [],
      );
      // What still waits for a connection is close()'s to take back; then every message is accounted for.
      closeNow(h);
      h.advance(0);
      checkInvariants(h, true);
      if (process.env['MODEL_STATS']) coverage.push(situations(h));
      expect(scheduler.actions.length).toBe(0);
      // The session is over: the last state is idle (nothing ever held it) or closed.
      expect(['idle', 'closed']).toContain(h.lastState?.status);
    } finally {
      config.onUnhandledError = previous;
    }
  });
}

function parameters(): fc.Parameters<[Run]> {
  const seed = process.env['MODEL_SEED'];
  const path = process.env['MODEL_PATH'];
  return {
    numRuns: Number(process.env['MODEL_RUNS'] ?? 200),
    verbose: true,
    ...(seed !== undefined && { seed: Number(seed) }),
    ...(path !== undefined && { path }),
  };
}

/** With MODEL_STATS set: how often the sequences reached each situation, printed at the end. */
const coverage: Record<string, boolean>[] = [];

function situations(h: Harness): Record<string, boolean> {
  return {
    opened: h.states.some((entry) => entry.state.status === 'open'),
    retried: h.states.some((entry) => entry.state.status === 'reconnecting'),
    received: receivedIds(h).length > 0,
    delivered: h.holders.some((holder) => holder.received.length > 0),
    reported: h.reported.size > 0,
    closing: h.states.some((entry) => entry.state.status === 'closing'),
    failed: h.holders.some((holder) => holder.end !== undefined && 'error' in holder.end),
  };
}

afterAll(() => {
  if (coverage.length === 0) return;
  const share = (key: string): string =>
    `${Math.round((100 * coverage.filter((run) => run[key]).length) / coverage.length)}%`;
  console.log(Object.fromEntries(Object.keys(coverage[0]!).map((key) => [key, share(key)])));
});

describe('fromWebSocket, as a model (virtual time)', () => {
  it('keeps every promise of the model over random sequences of application and server actions', () => {
    fc.assert(
      fc.property(
        fc.record({
          autoOpen: fc.boolean(),
          closeDelayMs: fc.constantFrom(0, 30),
          backoffThrowsAt: fc.constantFrom(0, 0, 1, 2),
          sequence: commands,
        }),
        runSequence,
      ),
      parameters(),
    );
  });
});
