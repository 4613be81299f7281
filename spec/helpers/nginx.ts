import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { systemPath } from './system';

/** nginx, started with a generated configuration in a temporary directory, proxying WebSockets on 127.0.0.1. */
export interface Nginx {
  readonly url: string;
  readonly port: number;
  /** The generated configuration, for failure messages. */
  readonly config: string;
  /** What nginx wrote to its error log so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Ports of the `ws` backends on 127.0.0.1, balanced round-robin. */
  readonly upstreamPorts: readonly number[];
  /** The nginx executable, as `requireSystem('nginx')` found it. Looked for the same way when absent. */
  readonly binary?: string;
  /** @default 5_000 */
  readonly startTimeoutMs?: number;
}

function configFor(dir: string, port: number, upstreamPorts: readonly number[]): string {
  const servers = upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join('\n');
  return `# Generated for one spec run.
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events {
  worker_connections 1024;
}
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
  }
  upstream ws_backends {
${servers}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://ws_backends;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_send_timeout 60s;
    }
  }
}
`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nginx in the foreground; throws, saying how to install it, when there is no nginx. */
export async function startNginx({ upstreamPorts, binary, startTimeoutMs = 5_000 }: NginxOptions): Promise<Nginx> {
  const executable = binary ?? systemPath('nginx');
  const dir = mkdtempSync(join(tmpdir(), 'rx-websocket-nginx-'));
  // When run as root, nginx's workers drop to an unprivileged user, who must be able to reach the directory.
  chmodSync(dir, 0o755);
  let lastFailure = '';
  // The free port can be taken between the probe and nginx's bind: try a few.
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const config = configFor(dir, port, upstreamPorts);
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, config);
    const child: ChildProcess = spawn(executable, ['-p', dir, '-e', join(dir, 'error.log'), '-c', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited = false;
    const exit = once(child, 'exit').then(() => (exited = true));
    const deadline = performance.now() + startTimeoutMs;
    let ready = false;
    while (!exited && performance.now() < deadline) {
      if (await canConnect(port)) {
        ready = true;
        break;
      }
      // Polling the port: nginx says nothing when it is ready.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const errorLog = (): string => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    };
    if (ready) {
      return {
        url: `ws://127.0.0.1:${port}`,
        port,
        config,
        errorLog,
        async stop() {
          if (!exited) {
            child.kill('SIGTERM');
            const killed = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exit;
            clearTimeout(killed);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
    lastFailure = `${stderr}${errorLog()}`.trim();
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`nginx did not start listening within ${startTimeoutMs} ms: ${lastFailure}`);
}
