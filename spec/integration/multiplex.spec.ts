import { join } from 'node:path';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { constantBackoff, fromWebSocket, json, multiplex } from '../../lib/index';
import { runChild } from '../helpers/child';
import { closeAfterEach } from '../helpers/cleanup';
import { whenStatus } from '../helpers/observe';
import { startServer, type ServerClient, type TestServer } from '../helpers/ws-server';
import type {
  MultiplexFailure,
  MultiplexFailureArgs,
  MultiplexFailureFigures,
} from '../reliability/children/multiplex-failures';

type Command = { op: 'sub' | 'unsub'; channel: string };
type Tick = { channel: string; n: number };

const track = closeAfterEach();
let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

/** A server that routes: it remembers each client's channels and publishes to subscribers only. */
function route(client: ServerClient): { publish(channel: string, n: number): void; commands: Command[] } {
  const channels = new Set<string>();
  const commands: Command[] = [];
  client.socket.on('message', (data) => {
    const command = JSON.parse((data as Buffer).toString()) as Command;
    commands.push(command);
    if (command.op === 'sub') channels.add(command.channel);
    else channels.delete(command.channel);
  });
  return {
    commands,
    publish: (channel, n) => channels.has(channel) && client.socket.send(JSON.stringify({ channel, n })),
  };
}

const channel = (socket: ReturnType<typeof fromWebSocket<Tick, Command>>, name: string) =>
  multiplex(
    socket,
    () => ({ op: 'sub', channel: name }),
    () => ({ op: 'unsub', channel: name }),
    (tick) => tick.channel === name,
  );

describe('multiplex against a real routing server', () => {
  it('shares one subscription per channel, routes messages, and unsubscribes when the last subscriber leaves', async () => {
    const socket = track(fromWebSocket<Tick, Command>(server.url, { ...json() }));
    const btcA = firstValueFrom(channel(socket, 'BTC').pipe(take(2), toArray(), timeout(5_000)));
    const btcB = channel(socket, 'BTC').subscribe();
    const eth = firstValueFrom(channel(socket, 'ETH').pipe(take(1), toArray(), timeout(5_000)));
    const client = await server.nextClient();
    const router = route(client);
    await client.receivedCount(2);
    router.publish('BTC', 1);
    router.publish('ETH', 10);
    router.publish('BTC', 2);
    expect(await btcA).toEqual([
      { channel: 'BTC', n: 1 },
      { channel: 'BTC', n: 2 },
    ]);
    expect(await eth).toEqual([{ channel: 'ETH', n: 10 }]);
    btcB.unsubscribe();
    const hold = socket.connect();
    await client.receivedCount(4);
    expect(router.commands).toEqual([
      { op: 'sub', channel: 'BTC' },
      { op: 'sub', channel: 'ETH' },
      { op: 'unsub', channel: 'ETH' },
      { op: 'unsub', channel: 'BTC' },
    ]);
    hold.unsubscribe();
  });

  it('subscribes live channels again after a reconnection and does not replay unsubscribes made while disconnected', async () => {
    const socket = track(
      fromWebSocket<Tick, Command>(server.url, { ...json(), reconnect: { backoff: constantBackoff({ delayMs: 30 }) } }),
    );
    const received: Tick[] = [];
    const btc = channel(socket, 'BTC').subscribe((t) => received.push(t));
    const eth = channel(socket, 'ETH').subscribe();
    const first = await server.nextClient();
    route(first);
    await first.receivedCount(2);
    first.socket.terminate();
    await whenStatus(socket.state$, 'reconnecting');
    eth.unsubscribe(); // while disconnected: the new connection never had ETH, so no unsub is sent
    const second = await server.nextClient();
    const router = route(second);
    await firstValueFrom(socket.open$.pipe(timeout(5_000)));
    await second.receivedCount(1);
    router.publish('BTC', 7);
    await firstValueFrom(
      channel(socket, 'BTC').pipe(
        filter((t) => t.n === 7),
        timeout(5_000),
      ),
    );
    expect(router.commands).toEqual([{ op: 'sub', channel: 'BTC' }]);
    expect(received).toEqual([{ channel: 'BTC', n: 7 }]);
    btc.unsubscribe();
  });
});

describe('multiplex when a message of a channel cannot be made or sent, in a process of its own', () => {
  const runScenario = (scenario: MultiplexFailure) =>
    runChild<MultiplexFailureFigures & { error?: string }>(
      join(__dirname, '..', 'reliability', 'children', 'multiplex-failures.ts'),
      { scenario } satisfies MultiplexFailureArgs,
      { timeoutMs: 20_000 },
    );
  const SUB = '{"op":"sub","channel":"BTC"}';

  it('an unsubscribeMsg that throws: the failure is heard on error$, the socket closes, and the process exits by itself', async () => {
    const { figures, exitedByItself } = await runScenario('unsubscribe-throws');
    expect(figures.error).toBeUndefined();
    expect(figures).toMatchObject({
      uncaught: [],
      thrownByUnsubscribe: [],
      heard: ['CallbackError multiplex.unsubscribeMsg'],
      received: [[SUB]],
      allClosed: true,
    });
    expect(exitedByItself).toBe(true);
  }, 30_000);

  it('an unsubscribe message that cannot be encoded while nobody listens on error$: nothing is thrown, the socket closes, and the process exits by itself', async () => {
    const { figures, exitedByItself } = await runScenario('unsubscribe-unencodable');
    expect(figures.error).toBeUndefined();
    expect(figures).toMatchObject({ uncaught: [], thrownByUnsubscribe: [], received: [[SUB]], allClosed: true });
    expect(exitedByItself).toBe(true);
  }, 30_000);

  it('a re-subscribe after an earlier open$ subscriber closed the socket: nothing is sent or thrown, the channel completes, and the process exits by itself', async () => {
    const { figures, exitedByItself } = await runScenario('resubscribe-after-close');
    expect(figures.error).toBeUndefined();
    expect(figures).toMatchObject({ uncaught: [], ended: ['complete'], received: [[SUB], []], allClosed: true });
    expect(exitedByItself).toBe(true);
  }, 30_000);

  it('a re-subscribe that cannot be encoded while nobody listens on error$: the channel errors with the EncodeError, nothing is uncaught, and the process exits by itself', async () => {
    const { figures, exitedByItself } = await runScenario('resubscribe-unencodable');
    expect(figures.error).toBeUndefined();
    expect(figures).toMatchObject({
      uncaught: [],
      ended: ['error EncodeError'],
      received: [[SUB], []],
      allClosed: true,
    });
    expect(exitedByItself).toBe(true);
  }, 30_000);
});
