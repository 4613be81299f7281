/**
 * Browser bundle sizes: a small app per client (connect with reconnection, parse JSON, log messages, send one),
 * bundled by esbuild for the browser, minified, then gzipped. "Own" leaves RxJS out (external); "total" bundles
 * whatever the app pulls in.
 */
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface BundleEntry {
  readonly id: string;
  readonly label: string;
  /** Whether the client builds on RxJS (then "own" and "total" differ). */
  readonly usesRxjs: boolean;
  readonly source: string;
}

export interface BundleSize {
  readonly id: string;
  readonly label: string;
  readonly source: string;
  /** Minified / gzipped bytes without RxJS; undefined for RxJS's own webSocket(), which is part of RxJS. */
  readonly ownMinBytes: number | undefined;
  readonly ownGzipBytes: number | undefined;
  readonly totalMinBytes: number;
  readonly totalGzipBytes: number;
  /** Minified bytes per input file of the own bundle, largest first (where the size comes from). */
  readonly ownInputs: readonly { readonly file: string; readonly minBytes: number }[];
}

export const BUNDLE_ENTRIES: readonly BundleEntry[] = [
  {
    id: 'rx-websocket',
    label: 'rx-websocket',
    usesRxjs: true,
    source: `import { fromWebSocket, json } from '../lib/index';
const socket = fromWebSocket('wss://feed.example/ws', { ...json() });
socket.message$.subscribe((message) => console.log(message));
socket.send({ subscribe: 'BTC' });`,
  },
  {
    id: 'rxjs-webSocket',
    label: 'RxJS webSocket() + retry',
    usesRxjs: true,
    source: `import { retry } from 'rxjs';
import { webSocket } from 'rxjs/webSocket';
const subject = webSocket('wss://feed.example/ws');
subject.pipe(retry({ delay: 1000 })).subscribe((message) => console.log(message));
subject.next({ subscribe: 'BTC' });`,
  },
  {
    id: 'rxjs-websockets',
    label: 'rxjs-websockets + retry',
    usesRxjs: true,
    source: `import { map, retry, Subject, switchMap } from 'rxjs';
import makeWebSocketObservable from 'rxjs-websockets';
const input$ = new Subject();
makeWebSocketObservable('wss://feed.example/ws')
  .pipe(switchMap((getResponses) => getResponses(input$)), map((data) => JSON.parse(data)), retry({ delay: 1000 }))
  .subscribe((message) => console.log(message));
input$.next(JSON.stringify({ subscribe: 'BTC' }));`,
  },
  {
    id: 'reconnecting-websocket',
    label: 'reconnecting-websocket',
    usesRxjs: false,
    source: `import ReconnectingWebSocket from 'reconnecting-websocket';
const socket = new ReconnectingWebSocket('wss://feed.example/ws');
socket.addEventListener('message', (event) => console.log(JSON.parse(event.data)));
socket.send(JSON.stringify({ subscribe: 'BTC' }));`,
  },
  {
    id: 'partysocket',
    label: 'partysocket',
    usesRxjs: false,
    source: `import { WebSocket } from 'partysocket';
const socket = new WebSocket('wss://feed.example/ws');
socket.addEventListener('message', (event) => console.log(JSON.parse(event.data)));
socket.send(JSON.stringify({ subscribe: 'BTC' }));`,
  },
];

interface Built {
  readonly bytes: Uint8Array;
  readonly inputs: { readonly file: string; readonly minBytes: number }[];
}

async function bundle(source: string, root: string, rxjsExternal: boolean): Promise<Built> {
  const result = await build({
    stdin: { contents: source, resolveDir: join(root, 'bench'), loader: 'ts', sourcefile: 'app.ts' },
    // File names in the metafile are relative to the repository.
    absWorkingDir: root,
    // For a copy of lib/ outside the repository: packages still come from this one.
    nodePaths: [join(root, 'node_modules')],
    metafile: true,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    external: rxjsExternal ? ['rxjs', 'rxjs/*'] : [],
  });
  const output = result.outputFiles[0];
  const meta = Object.values(result.metafile.outputs)[0];
  if (!output || !meta) throw new Error('esbuild produced no output');
  const inputs = Object.entries(meta.inputs)
    .map(([file, { bytesInOutput }]) => ({ file, minBytes: bytesInOutput }))
    .filter(({ minBytes }) => minBytes > 0)
    .sort((a, b) => b.minBytes - a.minBytes);
  return { bytes: output.contents, inputs };
}

const gzipped = (bytes: Uint8Array): number => gzipSync(bytes, { level: 9 }).length;

/**
 * Builds every entry twice (without and with RxJS) and measures it. `root` is the repository; `lib`, when given,
 * a copy of lib/ to measure instead.
 */
export async function measureBundles(root: string, lib?: string, candidate?: string): Promise<BundleSize[]> {
  const entries: { entry: BundleEntry; copy: string | undefined }[] = BUNDLE_ENTRIES.map((entry) => ({
    entry,
    copy: entry.id === 'rx-websocket' ? lib : undefined,
  }));
  if (candidate !== undefined) {
    const ours = BUNDLE_ENTRIES.find((entry) => entry.id === 'rx-websocket');
    if (ours)
      entries.splice(1, 0, {
        entry: { ...ours, id: 'rx-websocket-candidate', label: 'rx-websocket (candidate)' },
        copy: candidate,
      });
  }
  const sizes: BundleSize[] = [];
  for (const { entry, copy } of entries) {
    const source =
      copy === undefined
        ? entry.source
        : entry.source.replace("'../lib/index'", JSON.stringify(join(copy, 'index.ts')));
    const total = await bundle(source, root, false);
    // RxJS's webSocket() is RxJS itself: leaving RxJS out would leave nothing to measure.
    const own = entry.id === 'rxjs-webSocket' ? undefined : entry.usesRxjs ? await bundle(source, root, true) : total;
    // A copy of lib/ is reported as lib/, without where it lives.
    const copyRelative = copy === undefined ? undefined : relative(root, copy).split(sep).join('/');
    sizes.push({
      id: entry.id,
      label: entry.label,
      source: entry.source,
      ownMinBytes: own?.bytes.length,
      ownGzipBytes: own === undefined ? undefined : gzipped(own.bytes),
      totalMinBytes: total.bytes.length,
      totalGzipBytes: gzipped(total.bytes),
      ownInputs: (own?.inputs ?? [])
        .filter(({ file }) => file !== '<stdin>')
        .map(({ file, minBytes }) => ({
          file: copyRelative === undefined ? file : file.replace(copyRelative, 'lib'),
          minBytes,
        })),
    });
  }
  return sizes;
}
