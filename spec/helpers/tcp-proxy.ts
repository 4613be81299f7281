import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of `upstreamPort`. `blackhole()` makes it a silent network failure:
 * connections stay open but nothing gets through in either direction (new ones included), until `forward()`.
 */
export interface TcpProxy {
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections alive now. */
  readonly open: number;
  /** Chunks that `cutMidChunk` cut short so far (the receiver got only their first part, then the connection died). */
  readonly midChunkCuts: number;
  blackhole(): void;
  forward(): void;
  /** Destroys every connection at once, mid-frame if data is in flight. */
  cutAll(): void;
  /** Destroys one connection, picked with `random`; false when there was none. */
  cutOne(random?: () => number): boolean;
  /**
   * Arms every live connection: the next chunk that crosses it, in either direction, is delivered only in part
   * (cut at a random byte, so usually in the middle of a frame) and the connection then dies.
   * Returns how many connections were armed.
   */
  cutMidChunk(random?: () => number): number;
  /** Cancels `cutMidChunk` on the connections it armed and that have not been cut yet. */
  disarm(): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  armed: (() => number) | undefined;
  dead: boolean;
}

export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  let forwarding = true;
  let accepted = 0;
  let midChunkCuts = 0;
  const pairs = new Set<Pair>();
  const kill = (pair: Pair): void => {
    pair.dead = true;
    pair.client.destroy();
    pair.upstream.destroy();
    pairs.delete(pair);
  };
  const server = createServer((client) => {
    accepted++;
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    const pair: Pair = { client, upstream, armed: undefined, dead: false };
    pairs.add(pair);
    const relay = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (!forwarding || pair.dead) return;
        if (pair.armed === undefined) {
          to.write(chunk);
          return;
        }
        // Deliver a strict prefix, let it reach the peer, then drop everything.
        const cut = chunk.length < 2 ? 0 : 1 + Math.floor(pair.armed() * (chunk.length - 1));
        midChunkCuts++;
        pair.dead = true;
        pairs.delete(pair);
        from.destroy();
        to.end(chunk.subarray(0, cut), () => to.destroy());
      });
      from.on('close', () => {
        to.destroy();
        pairs.delete(pair);
      });
      from.on('error', () => to.destroy());
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    get midChunkCuts() {
      return midChunkCuts;
    },
    blackhole: () => (forwarding = false),
    forward: () => (forwarding = true),
    cutAll() {
      for (const pair of [...pairs]) kill(pair);
    },
    cutOne(random = Math.random) {
      const live = [...pairs];
      const pair = live[Math.floor(random() * live.length)];
      if (pair === undefined) return false;
      kill(pair);
      return true;
    },
    cutMidChunk(random = Math.random) {
      for (const pair of pairs) pair.armed = random;
      return pairs.size;
    },
    disarm() {
      for (const pair of pairs) pair.armed = undefined;
    },
    async close() {
      for (const pair of [...pairs]) kill(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
