/**
 * Builds the Angular example for the browser and serves it, next to the dashboard's feed.
 *
 *   npx tsx examples/angular/server.ts          page on http://localhost:4200, feed on a free port
 *   PORT=4300 npx tsx examples/angular/server.ts
 *
 * The page is bundled by esbuild with Angular's JIT compiler (no Angular CLI needed); the feed, with its fault
 * endpoints, is the one `npm start` runs.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { startDashboard } from '../dashboard/server';

const HERE = __dirname;
const ROOT = resolve(HERE, '..', '..');

/** The bundled page, by served path: `/main.js` and its source map. */
export type AngularBundle = ReadonlyMap<string, { readonly contentType: string; readonly body: Uint8Array }>;

/**
 * Bundles `main.ts` for the browser with the example's tsconfig: Angular's decorators need `experimentalDecorators`,
 * and `rx-websocket` maps to the library's sources. Minified, since Angular with its compiler is large; with a source
 * map unless `sourcemap` is false (which halves the build time, for tests).
 */
export async function buildAngularExample({
  sourcemap = true,
}: { readonly sourcemap?: boolean } = {}): Promise<AngularBundle> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(HERE, 'main.ts')],
    tsconfig: join(HERE, 'tsconfig.json'),
    outdir: join(HERE, 'out'),
    write: false,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    sourcemap: sourcemap ? 'linked' : false,
    logLevel: 'silent',
  });
  const files = new Map<string, { contentType: string; body: Uint8Array }>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    files.set(`/${name}`, {
      contentType: name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'application/json; charset=utf-8',
      body: file.contents,
    });
  }
  return files;
}

/** Options of {@link startAngularExample}. */
export interface AngularExampleOptions {
  /**
   * TCP port; 0 picks a free one.
   * @default 4200
   */
  readonly port?: number;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Whether to build and serve a source map.
   * @default true
   */
  readonly sourcemap?: boolean;
}

/** The served example. */
export interface AngularExample {
  /** The page's address; add `?ws=<feed URL>` to point it at a feed elsewhere than `/ws` on this origin. */
  readonly url: string;
  readonly port: number;
  /** Stops listening. */
  stop(): Promise<void>;
}

/** Builds the page and serves it. Resolves once listening. */
export async function startAngularExample(options: AngularExampleOptions = {}): Promise<AngularExample> {
  const { port: requestedPort = 4200, host = '127.0.0.1', sourcemap = true } = options;
  const files = await buildAngularExample({ sourcemap });
  const indexHtml = readFileSync(join(HERE, 'index.html'));

  const send = (res: ServerResponse, status: number, contentType: string, body: Uint8Array | string): void => {
    res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (pathname === '/' || pathname === '/index.html') return send(res, 200, 'text/html; charset=utf-8', indexHtml);
    const file = files.get(pathname);
    if (file) return send(res, 200, file.contentType, file.body);
    send(res, 404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}/`,
    port,
    stop: () =>
      new Promise<void>((resolveStop) => {
        server.close(() => resolveStop());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 4200);
  const feed = await startDashboard({ port: 0, log: (line) => console.log(`feed: ${line}`) });
  const page = await startAngularExample({ port });
  const feedOrigin = `http://127.0.0.1:${feed.port}`;
  console.log(`rx-websocket Angular example: ${page.url}?ws=ws://127.0.0.1:${feed.port}/ws`);
  console.log(`  faults: curl -X POST ${feedOrigin}/fault/drop | /fault/restart | /fault/close?code=4001`);
  console.log('  Ctrl-C to stop');
  process.once('SIGINT', () => {
    void Promise.all([page.stop(), feed.stop()]).then(() => process.exit(0));
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
