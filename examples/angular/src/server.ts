/**
 * The example's server: the built browser files, and every page rendered on the server by Angular's engine (the
 * browser then hydrates it and connects). Plain node:http, no framework.
 *
 *   npm run build && PORT=4000 npm run serve:ssr
 */
import {
  AngularNodeAppEngine,
  createNodeRequestHandler,
  isMainModule,
  writeResponseToNodeResponse,
} from '@angular/ssr/node';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const browserDir = fileURLToPath(new URL('../browser/', import.meta.url));
const engine = new AngularNodeAppEngine();

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** A built file (a script, a stylesheet) when the path names one; never anything outside the browser folder. */
async function staticFile(pathname: string): Promise<{ body: Buffer; type: string } | undefined> {
  const type = TYPES[extname(pathname)];
  if (!type) return undefined;
  const file = normalize(join(browserDir, decodeURIComponent(pathname)));
  if (!file.startsWith(browserDir.endsWith(sep) ? browserDir : browserDir + sep)) return undefined;
  try {
    return { body: await readFile(file), type };
  } catch {
    return undefined;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const file = await staticFile(pathname);
  if (file) {
    res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-store' });
    res.end(file.body);
    return;
  }
  const response = await engine.handle(req);
  if (response) {
    await writeResponseToNodeResponse(response, res);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
}

/** The request handler the Angular CLI uses (`ng serve`); the same one the server below uses. */
export const reqHandler = createNodeRequestHandler((req, res) =>
  handle(req, res).catch((error: unknown) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }),
);

if (isMainModule(import.meta.url)) {
  const server = createServer((req, res) => void reqHandler(req, res));
  const port = Number(process.env['PORT'] ?? 4000);
  server.listen(port, process.env['HOST'] ?? '127.0.0.1', () => {
    const { address, port: bound } = server.address() as AddressInfo;
    console.log(`listening on http://${address}:${bound}/`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
