/**
 * The reference feed server from the command line.
 *
 *   npx tsx examples/feed-server/main.ts                       ws://127.0.0.1:8080, history in memory
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/feed-server/main.ts --port 8081 --no-publish
 *
 * Flags: --port N (0 picks one), --host H, --redis URL (or REDIS_URL), --channels a,b,c, --rate HZ,
 * --history N, --request-ttl-ms MS, --no-publish (serve only: another process publishes into the same Redis),
 * --quiet. Once listening it prints one JSON line: {"url":...,"port":...,"pid":...}. SIGTERM/SIGINT stop it
 * gracefully (clients get 1001).
 */
import { startFeedServer } from './server';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function numberFlag(name: string, fallback: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const quiet = process.argv.includes('--quiet');
  const server = await startFeedServer({
    port: numberFlag('port', 8080),
    host: flag('host') ?? '127.0.0.1',
    redisUrl: flag('redis') ?? process.env.REDIS_URL,
    channels: (flag('channels') ?? 'ticks').split(',').filter(Boolean),
    rateHz: numberFlag('rate', 10),
    historyLength: numberFlag('history', 1_000),
    requestTtlMs: numberFlag('request-ttl-ms', 300_000),
    publish: !process.argv.includes('--no-publish'),
    log: quiet ? false : (line) => console.error(line),
  });
  console.log(JSON.stringify({ url: server.url, port: server.port, pid: process.pid }));
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
