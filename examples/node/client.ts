/**
 * A small command-line WebSocket client on rx-websocket: prints every message and every state change,
 * and reconnects by the library's default policy.
 *
 *   npm start   # the demo feed, in another terminal; then:
 *   npm run example:node -- ws://localhost:8080/ws                    # streams BTC-USD
 *   npm run example:node -- ws://localhost:8080/ws --channel cpu --max-attempts 5
 *
 * Each open sends the subscriptions (`--channel`, BTC-USD by default) and the `--send` texts, so they survive
 * reconnections. Messages go to stdout, states and errors (each once) to stderr.
 * Exit codes: 0 after a normal close (1000 or Ctrl-C), 1 when the connection stops for good, 2 on bad usage or URL.
 */
import {
  fromWebSocket,
  UnsupportedUrlError,
  WebSocketCloseError,
  type ReconnectOptions,
  type WebSocketData,
} from 'rx-websocket';
import { describeState, parseArgs, showData, urlProblem, USAGE } from './cli';

const SHUTDOWN_GRACE_MS = 3_000;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if ('problem' in args) {
    if (args.problem) console.error(`error: ${args.problem}`);
    console.error(USAGE);
    process.exit(args.problem ? 2 : 0);
  }
  const problem = urlProblem(args.url);
  if (problem !== undefined) {
    console.error(`error: ${problem}`);
    process.exit(2);
  }

  const reconnect: ReconnectOptions | false = args.maxAttempts === 0 ? false : { maxAttempts: args.maxAttempts };
  const socket = fromWebSocket<WebSocketData, string>(
    args.url,
    args.protocols.length > 0 ? [...args.protocols] : undefined,
    { reconnect },
  );
  const stamp = (): string => new Date().toISOString().slice(11, 23);
  /** The last error printed from error$: a connection that stops reports its reason there and on message$ both. */
  let printed: unknown;

  socket.state$.subscribe((state) => {
    if (state.status !== 'idle') console.error(`${stamp()} ${describeState(state)}`);
  });
  socket.message$.subscribe({
    next: (data) => console.log(showData(data)),
    complete: () => process.exit(0),
    error: (error: unknown) => {
      if (error !== printed)
        console.error(`${stamp()} error: ${error instanceof Error ? error.message : String(error)}`);
      if (error instanceof UnsupportedUrlError) process.exit(2);
      console.error(
        error instanceof WebSocketCloseError
          ? `stopped: the policy does not retry ${error.closeCode}`
          : 'stopped: not retried',
      );
      process.exit(1);
    },
  });
  socket.error$.subscribe((error) => {
    printed = error;
    console.error(`${stamp()} error: ${error.message}`);
  });
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
