import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { freePort } from './free-port';
import { systemPath } from './system';

/** Debian's redis-server on a loopback port, without persistence, for one spec file. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** What the server printed so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Sends PING in the wire format and resolves with whether +PONG came back. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.startsWith('+PONG'));
      }
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts redis-server in the foreground (no RDB, no AOF, loopback only) and resolves once it has said it is ready
 * and answered PING. `binary` is the program to run; by default it is looked up as every spec looks up a system program
 * (`REDIS_SERVER_PATH`, `PATH`, the usual places), and its absence throws saying how to get it.
 */
export async function startRedis({
  startTimeoutMs = 5_000,
  binary = systemPath('redis-server'),
}: { startTimeoutMs?: number; binary?: string } = {}): Promise<RedisServer> {
  let lastFailure = '';
  // The free port can be taken between the probe and redis's bind: try a few.
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      binary,
      ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', tmpdir()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let exited = false;
    const exit = once(child, 'exit').then(() => (exited = true));
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), startTimeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exit.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if ((await ready) && (await ping(port))) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        output: () => output,
        async stop() {
          if (exited) return;
          child.kill('SIGTERM');
          const killed = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exit;
          clearTimeout(killed);
        },
      };
    }
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
    lastFailure = output.trim();
  }
  throw new Error(`redis-server did not become ready within ${startTimeoutMs} ms: ${lastFailure}`);
}
