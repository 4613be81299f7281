/**
 * The command line of the Node example, as pure functions: what the arguments ask for, what is wrong with a URL (and
 * what was probably meant), and how a state reads on the terminal.
 */
import type { ConnectionState, WebSocketData } from 'rx-websocket';

export const USAGE = [
  'usage: npm run example:node -- <ws://host:port/path> [options]',
  '  --channel <name>      subscribe to a channel of the demo feed on every open (repeatable; default BTC-USD)',
  '  --send <text>         send this text on every open instead (repeatable)',
  '  --protocol <name>     offer this sub-protocol (repeatable)',
  '  --max-attempts <n>    give up after n reconnection attempts in a row (default: never)',
].join('\n');

/** The channel subscribed to when neither `--channel` nor `--send` is given: the demo feed's busiest. */
export const DEFAULT_CHANNEL = 'BTC-USD';

/** What the command line asks for. */
export interface Args {
  readonly url: string;
  readonly protocols: readonly string[];
  /** Texts sent on every open, subscriptions included (so that they survive reconnections). */
  readonly sends: readonly string[];
  /** Reconnection attempts in a row before giving up; `Infinity` never gives up. */
  readonly maxAttempts: number;
}

/** A command line that cannot be run: `problem` says why (empty for `--help`). */
export interface UsageProblem {
  readonly problem: string;
}

/** The subscription message of the demo feed (`examples/dashboard/protocol.ts`). */
export function subscribeText(channel: string): string {
  return JSON.stringify({ type: 'subscribe', channel });
}

export function parseArgs(argv: readonly string[]): Args | UsageProblem {
  const protocols: string[] = [];
  const sends: string[] = [];
  const channels: string[] = [];
  const positional: string[] = [];
  let maxAttempts = Infinity;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name === '--help' || name === '-h') return { problem: '' };
    if (!name.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    if (!['--protocol', '--send', '--channel', '--max-attempts'].includes(name))
      return { problem: `unknown option ${name}` };
    const value = eq === -1 ? argv[++index] : arg.slice(eq + 1);
    if (value === undefined) return { problem: `${name} needs a value` };
    if (name === '--protocol') protocols.push(value);
    else if (name === '--send') sends.push(value);
    else if (name === '--channel') channels.push(value);
    else {
      if (!/^\d+$/.test(value)) return { problem: `--max-attempts takes a whole number ≥ 0, not "${value}"` };
      maxAttempts = Number(value);
    }
  }
  if (positional.length !== 1)
    return { problem: positional.length === 0 ? 'a URL is required' : `one URL expected, got ${positional.length}` };
  const subscriptions = channels.length > 0 || sends.length > 0 ? channels : [DEFAULT_CHANNEL];
  return {
    url: positional[0] as string,
    protocols,
    sends: [...subscriptions.map(subscribeText), ...sends],
    maxAttempts,
  };
}

/**
 * A URL as it may be printed: scheme, host, port and path stay (they are what a user needs to see to spot a typo);
 * credentials, query and fragment go, since tokens travel there. Works on text that does not parse as a URL too.
 */
export function printableUrl(text: string): string {
  const trimmed = text.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(trimmed)?.[0] ?? '';
  let rest = trimmed.slice(scheme.length);
  const cut = rest.search(/[?#]/);
  const elided = cut !== -1;
  if (elided) rest = rest.slice(0, cut);
  // Credentials end at the last "@" before the path.
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at !== -1) rest = rest.slice(at + 1);
  return `${scheme}${rest}${elided ? '?…' : ''}`;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Checks the URL before it reaches the library, to say what was probably meant: `localhost:8080/ws` (no scheme, which
 * the URL parser reads as the scheme `localhost:`) gets "did you mean ws://localhost:8080/ws?". Returns undefined
 * when the URL has a scheme the library takes (ws, wss, http, https); the library checks the rest.
 */
export function urlProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^(wss?|https?):\/\//i.test(trimmed)) return undefined;
  const shown = printableUrl(trimmed);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1];
  if (scheme !== undefined) return `"${shown}" is not a WebSocket URL: the scheme must be ws:// or wss://`;
  const host = /^(?:[^/?#]*@)?(\[[^\]]*\]|[^/:?#]*)/.exec(trimmed)?.[1] ?? '';
  if (host === '') return `"${shown}" is not a WebSocket URL: expected ws://host:port/path`;
  const hidden = shown.endsWith('?…') || shown.length < trimmed.length;
  const suggested = `${LOOPBACK.test(host) ? 'ws' : 'wss'}://${shown.replace(/\?…$/, '')}`;
  return `"${shown}" has no scheme: did you mean ${suggested}?${hidden ? ' (credentials, query and fragment not shown)' : ''}`;
}

/** One state as a line of the log: the status first, then what it adds. */
export function describeState(state: ConnectionState): string {
  switch (state.status) {
    case 'connecting':
      return state.attempt === 0 ? 'connecting' : `connecting (attempt ${state.attempt})`;
    case 'open':
      return state.protocol ? `open (protocol ${state.protocol})` : 'open';
    case 'reconnecting': {
      const why = state.lastClose
        ? `after close ${state.lastClose.code}${state.lastClose.reason ? ` "${state.lastClose.reason}"` : ''}`
        : 'after a failed attempt';
      return `reconnecting in ${Math.round(state.delayMs)} ms (attempt ${state.attempt}) ${why}`;
    }
    case 'closed':
      return state.close
        ? `closed with ${state.close.code}${state.close.reason ? ` "${state.close.reason}"` : ''}`
        : 'closed';
    default:
      return state.status;
  }
}

const MAX_PRINTED_CHARS = 200;

/** A message as printed: text cut at 200 characters, binary as its size. */
export function showData(data: WebSocketData): string {
  if (typeof data !== 'string') return `<binary, ${data instanceof ArrayBuffer ? data.byteLength : data.size} bytes>`;
  return data.length > MAX_PRINTED_CHARS ? `${data.slice(0, MAX_PRINTED_CHARS)}… (${data.length} chars)` : data;
}
