/**
 * A small command-line WebSocket client on rx-websocket: prints every message and every state change,
 * and reconnects by the library's default policy.
 *
 *   npm run example:node -- <url> [--protocol <name>]... [--send <text>]...
 *
 *   npm start   # in another terminal, then:
 *   npm run example:node -- 'ws://localhost:8080/ws?channels=BTC-USD' --protocol dashboard.v1
 *
 * `--send` texts are sent on every open (so a subscription survives reconnections).
 * Exit codes: 0 after a normal close (1000 or Ctrl-C), 1 when the connection stops for good, 2 on bad usage or URL.
 */
import {
  fromWebSocket,
  UnsupportedUrlError,
  WebSocketCloseError,
  type ConnectionState,
  type WebSocketData,
} from '../../lib/index';

const USAGE = 'usage: npm run example:node -- <ws://host/path> [--protocol <name>]... [--send <text>]...';
const MAX_PRINTED_CHARS = 200;
const SHUTDOWN_GRACE_MS = 3_000;

interface Args {
  readonly url: string;
  readonly protocols: string[];
  readonly sends: string[];
}

function parseArgs(argv: readonly string[]): Args | string {
  const protocols: string[] = [];
  const sends: string[] = [];
  const positional: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--protocol' || arg === '--send') {
      const value = argv[++index];
      if (value === undefined) return `${arg} needs a value`;
      (arg === '--protocol' ? protocols : sends).push(value);
    } else if (arg === '--help' || arg === '-h') {
      return '';
    } else if (arg.startsWith('--')) {
      return `unknown option ${arg}`;
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1)
    return positional.length === 0 ? 'a URL is required' : `one URL expected, got ${positional.length}`;
  return { url: positional[0] as string, protocols, sends };
}

function describe(state: ConnectionState): string {
  switch (state.status) {
    case 'connecting':
      return state.attempt === 0 ? 'connecting' : `connecting (attempt ${state.attempt})`;
    case 'open':
      return `open${state.protocol ? ` (protocol ${state.protocol})` : ''}`;
    case 'reconnecting': {
      const why = state.lastClose
        ? `after close ${state.lastClose.code}${state.lastClose.reason ? ` "${state.lastClose.reason}"` : ''}`
        : 'after an error';
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

function show(data: WebSocketData): string {
  if (typeof data !== 'string') return `<binary, ${data instanceof ArrayBuffer ? data.byteLength : data.size} bytes>`;
  return data.length > MAX_PRINTED_CHARS ? `${data.slice(0, MAX_PRINTED_CHARS)}… (${data.length} chars)` : data;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    if (args) console.error(`error: ${args}`);
    console.error(USAGE);
    process.exit(args ? 2 : 0);
  }

  const socket = fromWebSocket<WebSocketData, string>(args.url, args.protocols.length > 0 ? args.protocols : undefined);
  const stamp = (): string => new Date().toISOString().slice(11, 23);

  socket.state$.subscribe((state) => console.error(`${stamp()} [${state.status}] ${describe(state)}`));
  socket.message$.subscribe({
    next: (data) => console.log(show(data)),
    complete: () => process.exit(0),
    error: (error: unknown) => {
      if (error instanceof UnsupportedUrlError) {
        console.error(`error: ${error.message}`);
        console.error(USAGE);
        process.exit(2);
      }
      const why =
        error instanceof WebSocketCloseError
          ? `the server closed with ${error.closeCode}, which is not retried`
          : String(error);
      console.error(`stopped: ${why}`);
      process.exit(1);
    },
  });
  // Subscribed after message$, so that a URL that fails at once is reported there, once, with its exit code.
  socket.error$.subscribe((error) =>
    console.error(`${stamp()} error: ${error instanceof Error ? error.message : String(error)}`),
  );
  socket.open$.subscribe(() => {
    for (const text of args.sends) socket.send(text);
  });

  let interrupted = false;
  const shutdown = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    // message$ completes once the close handshake is done (at once when not connected); wait for it, but not for ever.
    socket.close(1000, 'client exiting');
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main();
