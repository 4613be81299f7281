/**
 * Browser bundle sizes: small apps built on rx-websocket (from the smallest to one with every opt-in feature) and the
 * same app on each peer, bundled by esbuild for the browser exactly as the package's production browser build is
 * (`isomorphic-ws` replaced by the platform WebSocket, development checks off), minified, then gzipped (level 9) and
 * brotli-compressed (quality 11). "Own" leaves RxJS out (external); "total" bundles whatever the app pulls in.
 *
 * The budgets below are enforced by `spec/package/size.spec.ts` and printed by `npm run size`.
 */
import { join, relative, sep } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

export interface BundleEntry {
  readonly id: string;
  readonly label: string;
  /** Whether the app builds on RxJS (then "own" and "total" differ). */
  readonly usesRxjs: boolean;
  /** Whether it is one of rx-websocket's own apps (then it is measured from lib/, or the copy given). */
  readonly ours: boolean;
  readonly source: string;
}

export interface BundleSize {
  readonly id: string;
  readonly label: string;
  readonly source: string;
  /** Minified / compressed bytes without RxJS; undefined for RxJS's own webSocket(), which is part of RxJS. */
  readonly ownMinBytes: number | undefined;
  readonly ownGzipBytes: number | undefined;
  readonly ownBrotliBytes: number | undefined;
  readonly totalMinBytes: number;
  readonly totalGzipBytes: number;
  readonly totalBrotliBytes: number;
  /** Minified bytes per input file of the own bundle, largest first (where the size comes from). */
  readonly ownInputs: readonly { readonly file: string; readonly minBytes: number }[];
}

/** The default app: what DESIGN.md calls the smallest real use (`fromWebSocket` + `json()` + `state$` + `send`). */
const DEFAULT_APP = `import { fromWebSocket, json } from '../lib/index';
const socket = fromWebSocket('wss://feed.example/ws', json());
socket.state$.subscribe((state) => console.log(state.status));
socket.message$.subscribe((message) => console.log(message));
socket.send({ subscribe: 'BTC' });`;

export const BUNDLE_ENTRIES: readonly BundleEntry[] = [
  {
    id: 'rx-websocket-message-only',
    label: 'rx-websocket: message$ only',
    usesRxjs: true,
    ours: true,
    source: `import { fromWebSocket } from '../lib/index';
fromWebSocket('wss://feed.example/ws').message$.subscribe((message) => console.log(message));`,
  },
  { id: 'rx-websocket', label: 'rx-websocket: default app', usesRxjs: true, ours: true, source: DEFAULT_APP },
  {
    id: 'rx-websocket-heartbeat',
    label: 'rx-websocket: default app + heartbeat()',
    usesRxjs: true,
    ours: true,
    source: `import { fromWebSocket, heartbeat, json } from '../lib/index';
const socket = fromWebSocket('wss://feed.example/ws', { ...json(), heartbeat: heartbeat({ intervalMs: 20_000 }) });
socket.state$.subscribe((state) => console.log(state.status));
socket.message$.subscribe((message) => console.log(message));
socket.send({ subscribe: 'BTC' });`,
  },
  {
    id: 'rx-websocket-lifecycle',
    label: 'rx-websocket: default app + pageLifecycle()',
    usesRxjs: true,
    ours: true,
    source: `import { fromWebSocket, json, pageLifecycle } from '../lib/index';
const socket = fromWebSocket('wss://feed.example/ws', { ...json(), lifecycle: pageLifecycle({ hiddenCloseAfterMs: 300_000 }) });
socket.state$.subscribe((state) => console.log(state.status));
socket.message$.subscribe((message) => console.log(message));
socket.send({ subscribe: 'BTC' });`,
  },
  {
    id: 'rx-websocket-multiplex',
    label: 'rx-websocket: default app + multiplex()',
    usesRxjs: true,
    ours: true,
    source: `import { fromWebSocket, json, multiplex } from '../lib/index';
const socket = fromWebSocket('wss://feed.example/ws', json());
socket.state$.subscribe((state) => console.log(state.status));
multiplex(socket, () => ({ subscribe: 'BTC' }), () => ({ unsubscribe: 'BTC' }), (m) => m.channel === 'BTC')
  .subscribe((message) => console.log(message));`,
  },
  {
    id: 'rxjs-webSocket',
    label: 'RxJS webSocket() + retry',
    usesRxjs: true,
    ours: false,
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
    ours: false,
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
    ours: false,
    source: `import ReconnectingWebSocket from 'reconnecting-websocket';
const socket = new ReconnectingWebSocket('wss://feed.example/ws');
socket.addEventListener('message', (event) => console.log(JSON.parse(event.data)));
socket.send(JSON.stringify({ subscribe: 'BTC' }));`,
  },
  {
    id: 'partysocket',
    label: 'partysocket',
    usesRxjs: false,
    ours: false,
    source: `import { WebSocket } from 'partysocket';
const socket = new WebSocket('wss://feed.example/ws');
socket.addEventListener('message', (event) => console.log(JSON.parse(event.data)));
socket.send(JSON.stringify({ subscribe: 'BTC' }));`,
  },
];

/**
 * Own code, min+gz, production browser build: the most each app may weigh, enforced by `spec/package/size.spec.ts` as
 * a guard against growth. Set from what 0.2 measures (8,111 / 8,278 / 8,824 / 9,236 B) with about 1% of room; the
 * opt-in features cost what lies between the default app and theirs (heartbeat about 550 B, multiplex about 960 B).
 */
export const OWN_GZIP_BUDGETS: Readonly<Record<string, number>> = {
  'rx-websocket-message-only': 8_200,
  'rx-websocket': 8_360,
  'rx-websocket-heartbeat': 8_910,
  // Resumable channels (cursorOf, isRecovered, onResume, dedupeWindow) measured 9,748 B: about 420 B more.
  'rx-websocket-multiplex': 9_830,
};

/**
 * DESIGN.md's target for the default app's own code, min+gz. Not met in 0.2 (BENCHMARKS.md gives the per-module
 * attribution); the bench reports it as a target, the size spec enforces the budgets above.
 */
export const DEFAULT_APP_TARGET_BYTES = 6_000;

/** What the production browser build sets (see scripts/build.mjs): no development checks, no Node code path. */
export const PRODUCTION_BROWSER_DEFINE: Readonly<Record<string, string>> = {
  __RXWS_DEV__: 'false',
  __RXWS_BROWSER__: 'true',
};

/** `isomorphic-ws` becomes the platform's WebSocket, as in the package's browser build. */
const nativeWebSocket: Plugin = {
  name: 'native-web-socket',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^isomorphic-ws$/ }, () => ({ path: 'isomorphic-ws', namespace: 'native-ws' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'native-ws' }, () => ({
      contents: 'export default globalThis.WebSocket;',
      loader: 'js',
    }));
  },
};

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
    define: { ...PRODUCTION_BROWSER_DEFINE },
    plugins: [nativeWebSocket],
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
const brotlied = (bytes: Uint8Array): number =>
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/**
 * Builds every entry twice (without and with RxJS) and measures it. `root` is the repository; `lib`, when given,
 * a copy of lib/ to measure instead; `candidate`, a copy measured beside lib/ as "(candidate)" rows; `only`, the ids
 * to measure (all by default).
 */
export async function measureBundles(
  root: string,
  lib?: string,
  candidate?: string,
  only?: readonly string[],
): Promise<BundleSize[]> {
  const chosen = BUNDLE_ENTRIES.filter((entry) => only === undefined || only.includes(entry.id));
  const entries: { entry: BundleEntry; copy: string | undefined }[] = [];
  for (const entry of chosen) {
    entries.push({ entry, copy: entry.ours ? lib : undefined });
    if (candidate !== undefined && entry.ours)
      entries.push({
        entry: { ...entry, id: `${entry.id}-candidate`, label: `${entry.label} (candidate)` },
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
      ownBrotliBytes: own === undefined ? undefined : brotlied(own.bytes),
      totalMinBytes: total.bytes.length,
      totalGzipBytes: gzipped(total.bytes),
      totalBrotliBytes: brotlied(total.bytes),
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
