/**
 * The dashboard page: one `fromWebSocket` socket on the reference feed (docs/protocol.md), a channel per chart made
 * with `multiplex()`, charted with uPlot, with its state, rate and closes on show. With "resume" on (the default),
 * each channel is resumable: after a reconnection it subscribes again from the cursor of the last message it got, the
 * server replays what was missed, and the card says how many came back ("recovered 37"), or "resynced" when the
 * server's history no longer reached back. With it off, the channels are plain, and the card counts what was missed.
 *
 * Query parameters:
 *   ?channels=BTC-USD,cpu   channels to subscribe to at first (default: all)
 *   ?window=60              seconds of history per chart (default 30)
 *   ?resume=off             start with plain channels (the toggle on the page switches)
 *   ?fast=1                 short reconnection delays and heartbeat (for automated tests; humans get the defaults)
 *   ?tabs=1                 one connection shared by this origin's tabs (the "share across tabs" switch sets it)
 *   ?ws=ws://host/feed      another feed endpoint speaking the reference protocol (default: /feed on this server)
 */
import uPlot from 'uplot';
import {
  catchError,
  distinctUntilChanged,
  EMPTY,
  exhaustMap,
  map,
  Subscription,
  switchMap,
  timer,
  type Observable,
} from 'rxjs';
import {
  createDefaultBackoff,
  DEFAULT_RECONNECT,
  exponentialBackoff,
  fromWebSocket,
  heartbeat,
  json,
  multiplex,
  request,
  shareAcrossTabs,
  type CloseInfo,
  type ConnectionState,
  type OpenInfo,
  type RandomSource,
  type ReconnectOptions,
  type WebSocketOptions,
} from 'rx-websocket';
import type { ClientFrame, ServerFrame } from '../feed-server/protocol';
import {
  ago,
  appendPoint,
  arrive,
  attemptCount,
  backoffPlan,
  createTally,
  describeReconnection,
  disconnected,
  formatRange,
  restartTally,
  resumed,
  tickData,
  tickLabels,
  xRange,
  type BackoffFactory,
  type Tally,
} from './model';
import { CHANNELS, closeReasonFor, FEED_PATH, type ChannelInfo } from './protocol';

/** A message of a channel. */
type Tick = Extract<ServerFrame, { type: 'message' }>;

// ---- configuration ------------------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
const fast = params.get('fast') === '1';
const windowMs = clamp(Number(params.get('window') ?? 30) || 30, 5, 600) * 1_000;
const endpoint = params.get('ws') ?? FEED_PATH;
/**
 * One connection for every tab of this origin that has the dashboard open with `?tabs=1`: the first tab holds the
 * socket, the others go through it. The switch on the page sets the parameter and reloads: the option is fixed when
 * the socket is made.
 */
const shareTabs = params.get('tabs') === '1';
/** Without Web Locks or BroadcastChannel (an insecure context, an old browser), each tab keeps its own connection. */
const tabsCanShare = 'locks' in navigator && typeof BroadcastChannel === 'function';
/** Resumable channels (the library's resume) or plain ones (what a reconnection loses), switched on the page. */
let resume = params.get('resume') !== 'off';
const requested = params
  .get('channels')
  ?.split(',')
  .filter((name) => CHANNELS.some((channel) => channel.name === name));
const selected = new Set<string>(
  requested && requested.length > 0 ? requested : CHANNELS.map((channel) => channel.name),
);

/**
 * The library's defaults, unless `?fast=1` shortens the waits so that a test need not sit through them (1012 and 1013
 * still impose their minimums). The page shows the plan these make, so it is built from the same backoff.
 */
const makeBackoff: BackoffFactory = fast
  ? (random: RandomSource) => exponentialBackoff({ initialDelayMs: 250, maxDelayMs: 1_000, jitter: 'equal', random })
  : (random: RandomSource) => createDefaultBackoff({ random });
const resetAfterMs = fast ? 1_000 : DEFAULT_RECONNECT.resetAfterMs;
const reconnect: ReconnectOptions | true = fast ? { backoff: makeBackoff(Math.random), resetAfterMs } : true;
/** How many of the next retries the page lists. */
const PLAN_LENGTH = 5;

/**
 * A feed this busy is never quiet for long, so a few seconds without a message is worth a ping; no answer to it
 * either means the connection is dead even though no close came (a half-open TCP connection), and it is replaced.
 * The reference protocol has no ping of its own: the ping is a request (`echo`) with an id of this page's, and its
 * reply, recognised by that id without parsing, is the pong.
 */
const heartbeatMs = fast ? 500 : 2_000;
const heartbeatIds = `heartbeat-${Math.random().toString(36).slice(2, 10)}-`;
let pings = 0;
const keepAlive = heartbeat({
  intervalMs: heartbeatMs,
  timeoutMs: heartbeatMs,
  ping: () => JSON.stringify({ type: 'request', id: `${heartbeatIds}${++pings}`, data: { op: 'echo' } }),
  isPong: (data) => typeof data === 'string' && data.startsWith(`{"type":"reply","id":"${heartbeatIds}`),
});

const socketOptions: WebSocketOptions<ServerFrame, ClientFrame> = {
  ...json<ServerFrame, ClientFrame>(),
  reconnect,
  heartbeat: keepAlive,
  // One connection per origin and name: a tab given another endpoint (?ws=) shares with the tabs given the same one.
  ...(shareTabs && { tabs: shareAcrossTabs({ name: endpoint === FEED_PATH ? 'dashboard' : `dashboard ${endpoint}` }) }),
};

// The relative endpoint resolves against this page, and its http: scheme becomes ws:, as the browser's own WebSocket does.
const socket = fromWebSocket<ServerFrame, ClientFrame>(endpoint, socketOptions);

// ---- the page -----------------------------------------------------------------------------------------------

function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!element) throw new Error(`the page has no [data-testid="${id}"]`);
  return element;
}

const ui = {
  state: byTestId('state'),
  rate: byTestId('rate'),
  stale: byTestId('stale'),
  endpoint: byTestId('endpoint'),
  protocol: byTestId('protocol'),
  instance: byTestId('server-instance'),
  messages: byTestId('message-count'),
  reconnects: byTestId('reconnect-count'),
  backoff: byTestId('backoff'),
  plan: byTestId('backoff-plan'),
  attemptReset: byTestId('attempt-reset'),
  heartbeat: byTestId('heartbeat'),
  lastError: byTestId('last-error'),
  history: byTestId('state-history'),
  closeLog: byTestId('close-log'),
  closeLogEmpty: byTestId('close-log-empty'),
  channels: byTestId('channels'),
  faultResult: byTestId('fault-result'),
  reconnectButton: byTestId<HTMLButtonElement>('client-reconnect'),
  disconnectButton: byTestId<HTMLButtonElement>('client-disconnect'),
  connectButton: byTestId<HTMLButtonElement>('client-connect'),
  closeCode: byTestId<HTMLSelectElement>('close-code'),
  resumeToggle: byTestId<HTMLInputElement>('resume-toggle'),
  resumeState: byTestId('resume-state'),
  historyStore: byTestId('history-store'),
  silentSeconds: byTestId<HTMLInputElement>('silent-seconds'),
  silentStall: byTestId<HTMLInputElement>('silent-stall'),
  tabsToggle: byTestId<HTMLInputElement>('tabs-toggle'),
  tabsMode: byTestId('tabs'),
  feedConnections: byTestId('feed-connections'),
};

renderTabs();

ui.backoff.textContent = fast ? 'fast, for tests (≤ 1 s)' : 'library default';
ui.heartbeat.textContent = `ping after ${heartbeatMs / 1_000} s quiet, dead ${heartbeatMs / 1_000} s later`;
ui.backoff.title = fast
  ? 'exponential from 250 ms to 1 s, equal jitter (?fast=1)'
  : 'first retry after 0–2 s, later ones after a jittered 1.25–12 s; 1012 waits at least 2 s, 1013 at least 5 s';

/**
 * Lists the delays of the next retries, from retry `from` on (each drawn at random within its range). Once the backoff
 * reaches its cap, one item says so for every later attempt (`#6+ 6–12 s`).
 */
function renderPlan(from: number): void {
  if (ui.plan.dataset.from === String(from)) return;
  ui.plan.dataset.from = String(from);
  const items: HTMLElement[] = [];
  let previous: string | undefined;
  let capped = false;
  for (const retry of backoffPlan(makeBackoff, from, PLAN_LENGTH + 1)) {
    const range = formatRange(retry);
    const last = items[items.length - 1];
    if (range === previous && last) {
      // Every later attempt waits the same: the previous item stands for all of them.
      const label = last.querySelector('.plan-attempt');
      if (label) label.textContent = `#${retry.attempt - 1}+`;
      capped = true;
      break;
    }
    if (items.length === PLAN_LENGTH) break;
    previous = range;
    const item = element('li', retry.attempt === from ? 'next' : undefined);
    item.dataset.attempt = String(retry.attempt);
    item.dataset.minMs = String(retry.minMs);
    item.dataset.maxMs = String(retry.maxMs);
    item.append(element('span', 'plan-attempt', `#${retry.attempt}`), ` ${range}`);
    items.push(item);
  }
  if (!capped) items.push(element('li', 'plan-more', '…'));
  ui.plan.replaceChildren(...items);
}

// ---- channels and charts ------------------------------------------------------------------------------------

interface ChannelView {
  readonly info: ChannelInfo;
  readonly format: Intl.NumberFormat;
  /** Server time in ms, and the values; `null` values break the line where messages were missed, or none came. */
  readonly xs: number[];
  readonly ys: (number | null)[];
  readonly chart: uPlot;
  readonly card: HTMLElement;
  readonly lastValue: HTMLElement;
  readonly change: HTMLElement;
  readonly count: HTMLElement;
  readonly missedText: HTMLElement;
  readonly tally: Tally;
  /** The channel's subscription while the page holds it (live box ticked, and a session running). */
  subscription: Subscription | undefined;
  latest: number | undefined;
  dirty: boolean;
}

const COLORS: Record<string, string> = {
  'BTC-USD': '#f7931a',
  'ETH-USD': '#8c8cff',
  'EUR-USD': '#3fb9a0',
  cpu: '#58a6ff',
  memory: '#d2a8ff',
  'latency-p99': '#ff7b72',
  requests: '#7ee787',
};

const AXIS = {
  stroke: '#8b98a8',
  grid: { stroke: '#1e2630', width: 1 },
  ticks: { stroke: '#1e2630', width: 1 },
  font: '11px system-ui, sans-serif',
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function createView(info: ChannelInfo): ChannelView {
  const card = element('article', 'card');
  card.dataset.channel = info.name;
  card.dataset.kind = info.kind;
  card.dataset.testid = `channel-${info.name}`;

  const head = element('header', 'card-head');
  const title = element('div', 'card-title');
  title.append(element('span', 'card-name', info.name), element('span', 'card-label', `${info.label} · ${info.unit}`));
  const toggle = element('label', 'toggle');
  const checkbox = element('input');
  checkbox.type = 'checkbox';
  checkbox.checked = selected.has(info.name);
  checkbox.dataset.testid = `subscribe-${info.name}`;
  checkbox.addEventListener('change', () => setSubscribed(info.name, checkbox.checked));
  toggle.append(checkbox, element('span', undefined, 'live'));
  head.append(title, toggle);

  const figures = element('div', 'card-figures');
  const lastValue = element('output', 'value', '—');
  lastValue.dataset.testid = `last-value-${info.name}`;
  const change = element('span', 'change');
  figures.append(lastValue, change);

  const plot = element('div', 'plot');
  const foot = element('footer', 'card-foot');
  const count = element('span', undefined, '0 messages');
  count.dataset.testid = `count-${info.name}`;
  const missedText = element('span', 'missed');
  foot.append(count, missedText);
  card.append(head, figures, plot, foot);
  ui.channels.append(card);

  const format = new Intl.NumberFormat('en-US', {
    minimumFractionDigits: info.decimals,
    maximumFractionDigits: info.decimals,
  });
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  const color = COLORS[info.name] ?? '#58a6ff';
  const chart = new uPlot(
    {
      width: Math.max(200, plot.clientWidth),
      height: 130,
      ms: 1,
      legend: { show: false },
      cursor: { show: false },
      padding: [8, 8, 0, 0],
      scales: { x: { time: true, range: (_u, min, max) => xRange(min, max, windowMs) } },
      // No fill: with one, the short stretches between outages read as bars rather than as a line with gaps.
      series: [{}, { stroke: color, width: 1.5, points: { show: false }, spanGaps: false }],
      axes: [
        { ...AXIS, size: 28, space: 70 },
        {
          ...AXIS,
          size: info.decimals > 3 ? 64 : 58,
          values: (_u, ticks, _axis, _space, step) => tickLabels(ticks, step),
        },
      ],
    },
    [xs, ys],
    plot,
  );
  new ResizeObserver(() => chart.setSize({ width: Math.max(200, plot.clientWidth), height: 130 })).observe(plot);

  return {
    info,
    format,
    xs,
    ys,
    chart,
    card,
    lastValue,
    change,
    count,
    missedText,
    tally: createTally(),
    subscription: undefined,
    latest: undefined,
    dirty: false,
  };
}

const views = new Map<string, ChannelView>(CHANNELS.map((info) => [info.name, createView(info)]));

function onTick(view: ChannelView, message: Tick): void {
  const data = tickData(message.data);
  if (!data) return;
  const { gap, duplicate } = arrive(view.tally, data.n, data.t, Date.now());
  if (duplicate) return;
  // Messages missed here: the line breaks rather than being drawn straight across what is not known.
  if (gap > 0) breakLine(view);
  view.latest = data.value;
  // A quiet spell of ten ticks or more breaks the line too: no data was published then.
  appendPoint(view.xs, view.ys, data.t, data.value, Math.max(500, (10 * 1_000) / view.info.rateHz));
  view.dirty = true;
}

/**
 * A channel of the feed: resumable (with `cursorOf`, the library subscribes again from the last cursor after a
 * reconnection, and `onResume` tells whether the server replayed the gap), or plain (it subscribes again from now).
 */
function channel$(name: string, resumable: boolean): Observable<Tick> {
  const subscribe = (cursor: string | undefined): ClientFrame => ({
    type: 'subscribe',
    channel: name,
    ...(cursor !== undefined && { since: cursor }),
  });
  const unsubscribe = (): ClientFrame => ({ type: 'unsubscribe', channel: name });
  const isTick = (message: ServerFrame): message is Tick => message.type === 'message' && message.channel === name;
  if (!resumable) return multiplex(socket, () => subscribe(undefined), unsubscribe, isTick);
  return multiplex(socket, subscribe, unsubscribe, isTick, {
    cursorOf: (message) => message.cursor,
    isRecovered: (message) =>
      message.type === 'subscribed' && message.channel === name ? message.recovered === true : undefined,
    onResume: ({ recovered }) => {
      const view = views.get(name);
      if (!view) return;
      resumed(view.tally, recovered, Date.now());
      view.dirty = true;
    },
  });
}

/** Subscribes the card to its channel, in the current mode (within the running session, if there is one). */
function startChannel(view: ChannelView): void {
  if (view.subscription || !session || session.closed || !selected.has(view.info.name)) return;
  restartTally(view.tally);
  breakLine(view);
  view.card.dataset.mode = resume ? 'resume' : 'plain';
  const subscription = channel$(view.info.name, resume).subscribe({
    next: (message) => onTick(view, message),
    // The connection stopped for good: the session ends too, and Connect starts the channels again.
    error: () => (view.subscription = undefined),
  });
  view.subscription = subscription;
  session.add(subscription);
}

function stopChannel(view: ChannelView): void {
  const subscription = view.subscription;
  view.subscription = undefined;
  if (!subscription) return;
  session?.remove(subscription);
  subscription.unsubscribe();
}

/** Ends a chart's line here, so that it is not drawn across a time without data (an outage, an unsubscription). */
function breakLine(view: ChannelView): void {
  const lastX = view.xs[view.xs.length - 1];
  if (lastX === undefined || view.ys[view.ys.length - 1] === null) return;
  view.xs.push(lastX + 1);
  view.ys.push(null);
  view.dirty = true;
}

function setSubscribed(channel: string, on: boolean): void {
  if (on) selected.add(channel);
  else selected.delete(channel);
  const view = views.get(channel);
  if (!view) return;
  view.card.classList.toggle('paused', !on);
  // The library sends the subscribe or unsubscribe message now when open, or subscribes on the next open.
  if (on) startChannel(view);
  else {
    stopChannel(view);
    breakLine(view);
  }
}

/** Switches every channel between resumable and plain: each starts again in the new mode. */
function setResume(on: boolean): void {
  resume = on;
  ui.resumeToggle.checked = on;
  ui.resumeState.textContent = on ? 'resume: on' : 'resume: off';
  document.body.dataset.resume = on ? 'on' : 'off';
  for (const view of views.values()) {
    if (!view.subscription) continue;
    stopChannel(view);
    startChannel(view);
  }
}

// ---- connection state -----------------------------------------------------------------------------------------

let currentState: ConnectionState = { status: 'idle' };
let stateSince = performance.now();
let clientClosing = false;
/** Whether the current attempt reached open: a close before that is a failed attempt, not a drop. */
let attemptOpened = false;
let connectingAttempt = 0;
/** The attempt that made the last open (0 for a first connection), and when it opened. */
let openAttempt = 0;
let openedAt: number | undefined;
/** The last error shown, and when. */
let lastError: { readonly text: string; readonly at: number } | undefined;
let reconnections = 0;
let messages = 0;
let lastMessageAt: number | undefined;
const arrivals: number[] = [];

function describeState(state: ConnectionState, now: number): string {
  switch (state.status) {
    case 'idle':
      return 'idle';
    case 'connecting':
      return state.attempt === 0 ? 'connecting' : `connecting · attempt ${state.attempt}`;
    case 'open':
      return `open · ${state.protocol || 'no sub-protocol'}`;
    case 'closing':
      return 'closing';
    case 'reconnecting': {
      const left = Math.max(0, state.delayMs - (now - stateSince)) / 1_000;
      return `reconnecting · attempt ${state.attempt} in ${left.toFixed(1)} s`;
    }
    case 'closed':
      return state.close
        ? `closed · ${state.close.code}${state.close.reason ? ` ${state.close.reason}` : ''}`
        : 'closed';
  }
}

function renderState(now: number): void {
  ui.state.textContent = describeState(currentState, now);
  ui.state.dataset.status = currentState.status;
}

const HISTORY_LENGTH = 14;

function onState(state: ConnectionState): void {
  const wasOpen = currentState.status === 'open';
  currentState = state;
  if (state.status === 'connecting') {
    attemptOpened = false;
    attemptError = undefined;
    connectingAttempt = state.attempt;
  } else if (state.status === 'open') attemptOpened = true;
  stateSince = performance.now();
  renderState(stateSince);
  // The count is the server's answer while open; until it answers again, it is not known.
  if (state.status !== 'open') renderConnections(undefined);
  document.title = `${state.status} · rx-websocket dashboard`;

  const item = element('li');
  item.dataset.status = state.status;
  item.append(
    element('time', undefined, clock(new Date())),
    element('span', 'status-dot'),
    element('span', undefined, describeState(state, stateSince)),
  );
  ui.history.prepend(item);
  while (ui.history.children.length > HISTORY_LENGTH) ui.history.lastElementChild?.remove();

  if (state.status === 'reconnecting' || state.status === 'closed') {
    decidePendingCloses(state);
    if (wasOpen) {
      for (const view of views.values()) {
        // The line is not broken here: a resumed channel fills the gap, and a plain one breaks it where it jumps.
        disconnected(view.tally);
        // Subscriptions live and die with a connection; the library renews them on the next open.
        view.card.dataset.subscribed = 'false';
      }
    }
  }
  if (state.status === 'reconnecting' && state.lastError !== undefined && state.lastClose === undefined) {
    // An attempt that failed without a close (a connect timeout): logged as the failed attempt it is.
    showError(state.lastError);
    logFailedAttempt('—', state.lastError);
    decidePendingCloses(state);
  }
  renderAttempts(stateSince);

  const live = state.status !== 'closed' && state.status !== 'idle';
  ui.reconnectButton.disabled = !live;
  ui.disconnectButton.hidden = !live;
  ui.connectButton.hidden = live;
}

// ---- the close log --------------------------------------------------------------------------------------------

const pendingCloses: HTMLTableRowElement[] = [];

/** Rows kept in the close log; it scrolls within its panel past a dozen. */
const CLOSE_LOG_LENGTH = 100;
/** The error reported during the current attempt, if any: it says why an attempt failed. */
let attemptError: unknown;

function addCloseRow(code: string, kind: 'drop' | 'failed-attempt', cells: readonly HTMLElement[]): void {
  ui.closeLogEmpty.hidden = true;
  const row = element('tr');
  row.dataset.code = code;
  row.dataset.kind = kind;
  row.dataset.decision = 'pending';
  row.append(element('td', 'time', clock(new Date())), ...cells, element('td', 'decision', '…'));
  ui.closeLog.prepend(row);
  while (ui.closeLog.children.length > CLOSE_LOG_LENGTH) ui.closeLog.lastElementChild?.remove();
  pendingCloses.push(row);
}

/** An attempt that never opened: refused, timed out, or turned away at the handshake. */
function logFailedAttempt(code: string, error: unknown): void {
  const why =
    error instanceof Error
      ? error.name === 'ConnectionTimeoutError'
        ? 'timed out'
        : error.name === 'HandshakeError'
          ? 'turned away at the handshake'
          : 'could not connect'
      : 'could not connect';
  const label = connectingAttempt === 0 ? 'connection' : `attempt ${connectingAttempt}`;
  addCloseRow(code, 'failed-attempt', [
    element('td', 'code failed', 'failed'),
    element('td', undefined, `${label} ${why}${code === '—' ? '' : ` (${code})`}`),
    element('td', undefined, '—'),
  ]);
}

function onClose(close: CloseInfo): void {
  if (!attemptOpened && !clientClosing) {
    logFailedAttempt(String(close.code), attemptError);
    return;
  }
  addCloseRow(String(close.code), 'drop', [
    element('td', 'code', String(close.code)),
    element('td', undefined, close.reason || '—'),
    element('td', close.wasClean ? 'clean' : 'unclean', close.wasClean ? 'yes' : 'no'),
  ]);
}

/** The state that follows a close tells what the reconnection policy made of it. */
function decidePendingCloses(state: ConnectionState): void {
  for (const row of pendingCloses.splice(0)) {
    const cell = row.querySelector('.decision');
    if (!cell) continue;
    if (state.status === 'reconnecting') {
      row.dataset.decision = 'reconnect';
      cell.textContent = `reconnecting in ${Math.round(state.delayMs)} ms (attempt ${state.attempt})`;
    } else {
      row.dataset.decision = 'stop';
      cell.textContent = clientClosing
        ? 'stopped: closed by this page'
        : row.dataset.code === '1000'
          ? 'stopped: normal closure'
          : 'stopped: the policy does not retry this code';
    }
  }
}

function showError(error: unknown): void {
  attemptError = error;
  const text = `${clock(new Date())} ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  lastError = { text, at: performance.now() };
  ui.lastError.title = text;
  renderLastError(lastError.at);
}

/** Once the connection is back, the last error is shown as past, with its age. */
function renderLastError(now: number): void {
  if (!lastError) return;
  const recovered = currentState.status === 'open' && openedAt !== undefined && openedAt > lastError.at;
  ui.lastError.dataset.recovered = String(recovered);
  ui.lastError.textContent = recovered
    ? `${ago(now - lastError.at)}, recovered since · ${lastError.text}`
    : lastError.text;
}

/** The backoff plan from the retry a failure would start now, and the attempt count's way back to 1. */
function renderAttempts(now: number): void {
  const state = currentState;
  let from = 1;
  let text = '—';
  let resetInMs: number | undefined;
  if (state.status === 'open' && openedAt !== undefined) {
    const count = attemptCount(openAttempt, now - openedAt, resetAfterMs);
    from = count.next;
    resetInMs = count.resetInMs;
    text =
      resetInMs === undefined
        ? 'a drop now starts again from attempt 1'
        : `a drop now retries as attempt ${from}; back to 1 after ${(resetInMs / 1_000).toFixed(1)} s more open`;
  } else if (state.status === 'reconnecting') {
    from = state.attempt;
    text = `waiting for attempt ${state.attempt}`;
  } else if (state.status === 'connecting') {
    from = state.attempt + 1;
    text = state.attempt === 0 ? 'first connection' : `attempt ${state.attempt} under way`;
  }
  ui.attemptReset.textContent = text;
  ui.attemptReset.dataset.next = String(from);
  if (resetInMs === undefined) delete ui.attemptReset.dataset.resetInMs;
  else ui.attemptReset.dataset.resetInMs = String(Math.round(resetInMs));
  renderPlan(from);
}

// ---- the socket's streams -------------------------------------------------------------------------------------

function onOpen(info: OpenInfo): void {
  ui.endpoint.textContent = info.url;
  ui.protocol.textContent = info.protocol || '(none)';
  if (info.attempt > 0) reconnections++;
  openAttempt = info.attempt;
  openedAt = performance.now();
  attemptError = undefined;
  renderAttempts(openedAt);
  ui.reconnects.textContent = String(reconnections);
}

type Reply = Extract<ServerFrame, { type: 'reply' }>;

/** How often the page asks for the server's status while open: its count of connections changes as tabs come and go. */
const STATUS_EVERY_MS = fast ? 500 : 2_000;

/**
 * Asks the server, on each open and then every {@link STATUS_EVERY_MS} while open, which instance the page reached,
 * where it keeps history, and how many connections its feed has: a request each time, answered once. A request still
 * unanswered when the next is due is waited for; one that times out, or that a drop cuts short, is let go.
 */
function pollStatus(): Subscription {
  const status$ = request(socket, (id): ClientFrame => ({ type: 'request', id, data: { op: 'status' } }), {
    isReply: (message, id): message is Reply => message.type === 'reply' && message.id === id,
    timeoutMs: 5_000,
  }).pipe(catchError(() => EMPTY));
  return socket.state$
    .pipe(
      map((state) => state.status === 'open'),
      distinctUntilChanged(),
      switchMap((open) => (open ? timer(0, STATUS_EVERY_MS).pipe(exhaustMap(() => status$)) : EMPTY)),
    )
    .subscribe(showStatus);
}

function showStatus(reply: Reply): void {
  if (!('data' in reply) || typeof reply.data !== 'object' || reply.data === null) return;
  const { instance, history, connections } = reply.data as {
    instance?: unknown;
    history?: unknown;
    connections?: unknown;
  };
  if (typeof instance === 'number') ui.instance.textContent = `#${instance}`;
  if (typeof history === 'string') ui.historyStore.textContent = history;
  if (typeof connections === 'number') renderConnections(connections);
}

function onMessage(message: ServerFrame): void {
  messages++;
  // The rate and the "no data" warning are about the feed: the replies to this page's status requests, which come
  // however quiet the feed is, are not counted there.
  if (message.type !== 'reply') {
    const now = performance.now();
    lastMessageAt = now;
    arrivals.push(now);
  }
  switch (message.type) {
    case 'message':
    case 'reply':
      // Channels and requests take these.
      return;
    case 'subscribed':
    case 'unsubscribed': {
      const card = views.get(message.channel)?.card;
      if (!card) return;
      // What the server confirmed, as opposed to what the checkbox asks for.
      card.dataset.subscribed = String(message.type === 'subscribed');
      card.classList.toggle('paused', message.type === 'unsubscribed');
      return;
    }
    case 'error':
      showError(new Error(`server: ${message.code}: ${message.message}`));
      return;
  }
}

let session: Subscription | undefined;

/** Subscribes to the socket's streams: message$ opens and holds it (the others only observe); ended when the policy stops reconnecting. */
function connect(): void {
  if (session && !session.closed) return;
  clientClosing = false;
  const streams = new Subscription();
  session = streams;
  const ended = (error?: unknown): void => {
    if (error !== undefined) showError(error);
    streams.unsubscribe();
    for (const view of views.values()) view.subscription = undefined;
  };
  // message$ first: if the connection fails at once (a bad ?ws= URL), it ends here and the others are not started.
  const subscribers = [
    () => socket.message$.subscribe({ next: onMessage, error: ended, complete: () => ended() }),
    () => socket.error$.subscribe(showError),
    () => socket.close$.subscribe(onClose),
    () => socket.open$.subscribe(onOpen),
    pollStatus,
  ];
  for (const subscribe of subscribers) {
    if (streams.closed) return;
    streams.add(subscribe());
  }
  for (const view of views.values()) startChannel(view);
}

socket.state$.subscribe(onState);

ui.reconnectButton.addEventListener('click', () => socket.reconnect());
ui.disconnectButton.addEventListener('click', () => {
  clientClosing = true;
  socket.close(1000, 'closed from the page');
});
ui.connectButton.addEventListener('click', connect);

// ---- tabs ---------------------------------------------------------------------------------------------------

/** The Tabs row: the switch, and what it makes of this tab's socket in this browser. */
function renderTabs(): void {
  const shared = shareTabs && tabsCanShare;
  ui.tabsToggle.checked = shareTabs;
  ui.tabsMode.dataset.mode = shared ? 'shared' : 'own';
  ui.tabsMode.textContent = shared
    ? "one socket for this origin's tabs"
    : shareTabs
      ? 'a socket per tab: this browser cannot share one'
      : 'a socket per tab';
  ui.tabsMode.title = shared
    ? 'The first tab holds the connection (a Web Lock decides), the others go through it over a BroadcastChannel; when it closes, another takes over'
    : shareTabs
      ? 'No Web Locks or BroadcastChannel here (an old browser, or a page not served over https or from localhost)'
      : 'Each tab opens its own connection to the feed';
}

/** Sets or removes `?tabs=1` and reloads: the option is given when the socket is made. */
function setShareTabs(on: boolean): void {
  const url = new URL(location.href);
  if (on) url.searchParams.set('tabs', '1');
  else url.searchParams.delete('tabs');
  location.assign(url);
}

/** The feed server's count of connections, from its last status reply; `undefined` while not open. */
function renderConnections(count: number | undefined): void {
  if (count === undefined) {
    delete ui.feedConnections.dataset.connections;
    ui.feedConnections.textContent = 'server: —';
    return;
  }
  ui.feedConnections.dataset.connections = String(count);
  ui.feedConnections.textContent = `server: ${count} connection${count === 1 ? '' : 's'}`;
}

ui.tabsToggle.addEventListener('change', () => setShareTabs(ui.tabsToggle.checked));

// ---- fault controls -------------------------------------------------------------------------------------------

interface FaultReply {
  readonly clients?: number;
  readonly downtimeMs?: number;
  readonly error?: string;
}

async function fault(path: string, done: (reply: FaultReply) => string): Promise<void> {
  ui.faultResult.textContent = 'sending…';
  ui.faultResult.dataset.outcome = 'pending';
  try {
    const response = await fetch(path, { method: 'POST' });
    const reply = (await response.json()) as FaultReply;
    ui.faultResult.textContent = response.ok ? done(reply) : `refused: ${reply.error ?? response.statusText}`;
    ui.faultResult.dataset.outcome = response.ok ? 'ok' : 'refused';
  } catch {
    ui.faultResult.textContent = 'the server did not answer (is it restarting?)';
    ui.faultResult.dataset.outcome = 'failed';
  }
}

const plural = (count = 0, word = 'client'): string => `${count} ${word}${count === 1 ? '' : 's'}`;

byTestId('fault-drop').addEventListener('click', () => {
  void fault('/fault/drop', (reply) => `dropped ${plural(reply.clients, 'connection')} without a close frame`);
});
byTestId('fault-restart').addEventListener('click', () => {
  void fault(
    '/fault/restart',
    (reply) =>
      `restarting: ${plural(reply.clients)} told 1012, back in ${((reply.downtimeMs ?? 0) / 1_000).toFixed(1)} s`,
  );
});
byTestId('fault-forget').addEventListener('click', () => {
  void fault(
    '/fault/forget',
    (reply) =>
      `restarting without history: ${plural(reply.clients)} told 1012, back in ${((reply.downtimeMs ?? 0) / 1_000).toFixed(1)} s with what was published meanwhile forgotten`,
  );
});
byTestId('fault-close').addEventListener('click', () => {
  const code = Number(ui.closeCode.value);
  void fault(
    `/fault/close?code=${code}`,
    (reply) => `closed ${plural(reply.clients)} with ${code} “${closeReasonFor(code)}”`,
  );
});
byTestId('fault-silent').addEventListener('click', () => {
  const seconds = clamp(Number(ui.silentSeconds.value) || 5, 1, 120);
  const stall = ui.silentStall.checked;
  void fault(`/fault/silent?ms=${seconds * 1_000}${stall ? '&stall=1' : ''}`, () =>
    stall
      ? `connections stalled for ${seconds} s: not even pings are answered, while the feed goes on`
      : `feed silent for ${seconds} s`,
  );
});

// ---- the render loop: charts, rate, countdown -----------------------------------------------------------------

function render(): void {
  const now = performance.now();
  while (arrivals.length > 0 && (arrivals[0] ?? now) <= now - 1_000) arrivals.shift();
  ui.rate.textContent = String(arrivals.length);
  ui.messages.textContent = messages.toLocaleString('en-US');
  const quietMs = lastMessageAt === undefined ? 0 : now - lastMessageAt;
  const stale = currentState.status === 'open' && quietMs > 1_500;
  ui.stale.hidden = !stale;
  if (stale) ui.stale.textContent = `no data for ${(quietMs / 1_000).toFixed(1)} s`;
  if (currentState.status === 'reconnecting') renderState(now);
  renderAttempts(now);
  renderLastError(now);

  for (const view of views.values()) {
    if (!view.dirty) continue;
    view.dirty = false;
    const newest = view.xs[view.xs.length - 1] ?? 0;
    let drop = 0;
    while (drop < view.xs.length && (view.xs[drop] ?? newest) < newest - windowMs) drop++;
    view.xs.splice(0, drop);
    view.ys.splice(0, drop);
    view.chart.setData([view.xs, view.ys]);
    if (view.latest !== undefined) {
      view.lastValue.textContent = view.format.format(view.latest);
      const first = view.ys.find((value): value is number => value !== null);
      if (first !== undefined && first !== 0) {
        const change = ((view.latest - first) / Math.abs(first)) * 100;
        view.change.textContent = `${change >= 0 ? '+' : ''}${change.toFixed(2)}%`;
        view.change.dataset.direction = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
      }
    }
    const { tally, card } = view;
    view.count.textContent = `${tally.received.toLocaleString('en-US')} messages`;
    view.missedText.textContent = describeReconnection(tally);
    view.missedText.dataset.kind = tally.last?.kind ?? '';
    view.missedText.title =
      tally.last?.kind === 'resynced'
        ? `the server's history no longer reached back: ${tally.last.lost.toLocaleString('en-US')} messages lost`
        : tally.last?.kind === 'recovered'
          ? 'messages published while away, replayed by the server on the last reconnection'
          : '';
    // What the card shows, as data for tests and tools: the last reconnection, and the series as drawn.
    card.dataset.reconnection = tally.last?.kind ?? '';
    card.dataset.recovered = String(tally.last?.kind === 'recovered' ? tally.last.count : 0);
    card.dataset.missed = String(tally.missed);
    card.dataset.gaps = String(tally.gaps);
    card.dataset.duplicates = String(tally.duplicates);
    card.dataset.received = String(tally.received);
    card.dataset.reconnections = String(tally.reconnections);
    card.dataset.breaks = String(view.ys.reduce<number>((count, y) => (y === null ? count + 1 : count), 0));
  }
}

setInterval(render, 100);

ui.resumeToggle.addEventListener('change', () => setResume(ui.resumeToggle.checked));
setResume(resume);
for (const name of CHANNELS.map((channel) => channel.name))
  views.get(name)?.card.classList.toggle('paused', !selected.has(name));
connect();

// ---- helpers --------------------------------------------------------------------------------------------------

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

function clock(date: Date): string {
  return date.toLocaleTimeString('en-GB', { hour12: false }) + `.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
