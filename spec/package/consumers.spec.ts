import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { WebSocketServer } from 'ws';

// The package as users get it: built, packed with `npm pack`, unpacked into fresh projects outside this repository,
// and used from Node ESM, Node CommonJS, TypeScript and a browser bundle. Nothing is fetched from the network: the
// packages the tarball depends on are linked from this repository's node_modules, which `npm ci` filled.

const repo = path.resolve(__dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
const nodeMajor = Number(process.versions.node.split('.')[0]);

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without blocking this process (the specs' server must keep answering meanwhile). */
function run(command: string, args: readonly string[], cwd: string, timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} took over ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function runOk(command: string, args: readonly string[], cwd: string, timeoutMs?: number): Promise<string> {
  const result = await run(command, args, cwd, timeoutMs);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

interface PackageJson {
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

let work: string;
let unpacked: string;
let packedFiles: string[];
let serverUrl: string;
let wss: WebSocketServer;

/**
 * A fresh project in the OS temp folder with the packed package installed: the tarball's contents copied into
 * node_modules/rx-websocket, and each of its dependencies and peer dependencies (plus `extra`) linked from this
 * repository. Only what the package declares is there, so an undeclared import would fail to resolve.
 */
async function consumer(name: string, files: Record<string, string>, extra: readonly string[] = []): Promise<string> {
  const dir = path.join(work, name);
  const modules = path.join(dir, 'node_modules');
  await mkdir(modules, { recursive: true });
  await cp(unpacked, path.join(modules, 'rx-websocket'), { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(unpacked, 'package.json'), 'utf8')) as PackageJson;
  const links = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...extra,
  ];
  for (const dependency of links) {
    const link = path.join(modules, dependency);
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.join(repo, 'node_modules', dependency), link, 'junction');
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

/** Runs a Node consumer against the loopback server and returns what it printed as JSON. */
async function runNode(dir: string, args: readonly string[]): Promise<unknown> {
  const result = await run(process.execPath, [...args, serverUrl], dir, 30_000);
  if (result.code !== 0) throw new Error(`consumer exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as unknown;
}

/** Every `.map` of the package must point at sources that the package ships. */
async function missingMapSources(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const file of packedFiles.filter((name) => name.endsWith('.map'))) {
    const map = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      if (!(await exists(path.resolve(path.dirname(path.join(dir, file)), source))))
        missing.push(`${file} → ${source}`);
    }
  }
  return missing;
}

const EXPECTED_MESSAGES = [{ hello: 'consumer' }, { echo: 'sent before open' }];

const nodeConsumerBody = (load: string): string => `
${load}
const socket = fromWebSocket(process.argv[2], json());
socket.send({ echo: 'sent before open' });
const messages = await firstValueFrom(socket.message$.pipe(take(2), toArray()));

// The test double works with the factory of the same package: one TestScheduler run, in virtual time.
let viaDouble;
new TestScheduler((actual, expected) => {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(JSON.stringify({ actual, expected }));
}).run(({ cold, expectObservable }) => {
  const server = createWebSocketDouble();
  server.script(cold('-o-a', { o: 'open', a: { json: { n: 1 } } }));
  const doubled = fromWebSocket('wss://double.example/ws', { ...json(), WebSocketCtor: server.WebSocketCtor });
  expectObservable(doubled.message$.pipe(take(1))).toBe('---(a|)', { a: { n: 1 } });
  viaDouble = 'ok';
});

let closeError;
try {
  socket.close(1001);
} catch (error) {
  closeError = { isRxWebSocketError: error instanceof RxWebSocketError, code: error.code };
}
console.log(JSON.stringify({ messages, viaDouble, closeError, resolved: RESOLVED }));
`;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'rx-websocket-package-'));
  const staging = path.join(work, 'staging');
  await mkdir(staging);
  for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
    if (await exists(path.join(repo, file))) await cp(path.join(repo, file), path.join(staging, file));
  }
  // Built outside the working tree, so that specs running side by side never see a half-written dist/.
  await runOk(npm, ['run', 'build', '--', '--out-dir', path.join(staging, 'dist')], repo, 180_000);
  const packed = JSON.parse(
    await runOk(npm, ['pack', staging, '--ignore-scripts', '--json', '--pack-destination', work], work, 60_000),
  ) as { filename: string; files: { path: string }[] }[];
  const pack = packed[0];
  if (!pack) throw new Error('npm pack produced nothing');
  packedFiles = pack.files.map((file) => file.path);
  const extracted = path.join(work, 'extracted');
  await mkdir(extracted);
  await runOk('tar', ['-xzf', path.join(work, pack.filename), '-C', extracted], work);
  unpacked = path.join(extracted, 'package');

  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  serverUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/feed`;
  wss.on('connection', (socket) => {
    socket.send(JSON.stringify({ hello: 'consumer' }));
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
}, 300_000);

afterAll(async () => {
  if (wss) {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the builds, their types and maps, the licence and the changelog, and nothing else', async () => {
    for (const file of [
      'package.json',
      'LICENSE',
      'CHANGELOG.md',
      'dist/esm/index.js',
      'dist/esm/index.d.ts',
      'dist/esm/index.d.ts.map',
      'dist/esm/testing/index.js',
      'dist/esm/testing/index.d.ts',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/cjs/testing/index.js',
      'dist/cjs/testing/index.d.ts',
      'dist/browser/index.js',
      'dist/browser/testing/index.js',
      'dist/src/index.ts',
    ]) {
      expect(packedFiles).toContain(file);
    }
    if (await exists(path.join(repo, 'README.md'))) expect(packedFiles).toContain('README.md');
    const outside = packedFiles.filter(
      (file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(file),
    );
    expect(outside).toEqual([]);
    expect(packedFiles.filter((file) => /\.(spec|test)\.ts$/.test(file))).toEqual([]);
  });

  it('has source maps and declaration maps whose sources it ships', async () => {
    expect(packedFiles.filter((file) => file.endsWith('.js.map')).length).toBeGreaterThan(0);
    expect(packedFiles.filter((file) => file.endsWith('.d.ts.map')).length).toBeGreaterThan(0);
    expect(await missingMapSources(unpacked)).toEqual([]);
  });

  it('never bundles rxjs, ws or isomorphic-ws', async () => {
    const builds = packedFiles.filter((file) => /^dist\/(esm|cjs|browser)\/.*\.js$/.test(file));
    const texts = await Promise.all(builds.map((file) => readFile(path.join(unpacked, file), 'utf8')));
    const all = texts.join('\n');
    // Markers of rxjs's and ws's own implementations, which would be here if they had been inlined.
    expect(all).not.toMatch(/Sec-WebSocket-Key|258EAFA5-E914-47DA-95CA-C5AB0DC85B11|ObjectUnsubscribedError/);
    expect(all).toMatch(/from "rxjs"/);
  });
});

describe('a Node ES module consumer', () => {
  it("imports 'rx-websocket', connects to a loopback server and receives messages", async () => {
    const dir = await consumer('node-esm', {
      'package.json': JSON.stringify({ name: 'esm-consumer', private: true, type: 'module' }),
      'main.js': nodeConsumerBody(`
import { fromWebSocket, json, RxWebSocketError } from 'rx-websocket';
import { createWebSocketDouble } from 'rx-websocket/testing';
import { firstValueFrom, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
const RESOLVED = [import.meta.resolve('rx-websocket'), import.meta.resolve('rx-websocket/testing')];
`),
    });
    expect(await runNode(dir, ['main.js'])).toEqual({
      messages: EXPECTED_MESSAGES,
      viaDouble: 'ok',
      closeError: { isRxWebSocketError: true, code: 'ERR_INVALID_CLOSE_CODE' },
      resolved: [
        expect.stringMatching(/node_modules\/rx-websocket\/dist\/esm\/index\.js$/),
        expect.stringMatching(/node_modules\/rx-websocket\/dist\/esm\/testing\/index\.js$/),
      ],
    });
  }, 60_000);
});

describe('a Node CommonJS consumer', () => {
  it("requires 'rx-websocket', connects to a loopback server and receives messages", async () => {
    const dir = await consumer('node-cjs', {
      'package.json': JSON.stringify({ name: 'cjs-consumer', private: true, type: 'commonjs' }),
      'main.js': `(async () => {${nodeConsumerBody(`
const { fromWebSocket, json, RxWebSocketError } = require('rx-websocket');
const { createWebSocketDouble } = require('rx-websocket/testing');
const { firstValueFrom, take, toArray } = require('rxjs');
const { TestScheduler } = require('rxjs/testing');
const RESOLVED = [require.resolve('rx-websocket'), require.resolve('rx-websocket/testing')];
`)}})().catch((error) => { console.error(error); process.exit(1); });`,
    });
    expect(await runNode(dir, ['main.js'])).toEqual({
      messages: EXPECTED_MESSAGES,
      viaDouble: 'ok',
      closeError: { isRxWebSocketError: true, code: 'ERR_INVALID_CLOSE_CODE' },
      resolved: [
        expect.stringMatching(/node_modules\/rx-websocket\/dist\/cjs\/index\.js$/),
        expect.stringMatching(/node_modules\/rx-websocket\/dist\/cjs\/testing\/index\.js$/),
      ],
    });
  }, 60_000);
});

// Uses the public types the way an application does; each `@ts-expect-error` proves a type is not `any`.
const TYPED_CONSUMER = `
import {
  closeCodePolicy,
  exponentialBackoff,
  fromWebSocket,
  json,
  WebSocketCloseError,
  type ConnectionState,
  type ReactiveWebSocket,
  type WebSocketOptions,
} from 'rx-websocket';
import { createWebSocketDouble, type ServerAction, type WebSocketServerDouble } from 'rx-websocket/testing';
import { map, type Observable } from 'rxjs';

interface Tick {
  readonly price: number;
}
interface Command {
  readonly subscribe: string;
}

const options: WebSocketOptions<Tick, Command> = {
  ...json<Tick, Command>(),
  reconnect: { backoff: exponentialBackoff({ initialDelayMs: 500 }), shouldReconnect: closeCodePolicy({ retry: [4000] }) },
};
export const socket: ReactiveWebSocket<Tick, Command> = fromWebSocket<Tick, Command>('wss://feed.example/ws', ['v2.feed'], options);
export const prices: Observable<number> = socket.message$.pipe(map((tick) => tick.price));
socket.send({ subscribe: 'BTC' });
// @ts-expect-error a Command has no 'unsubscribe'
socket.send({ unsubscribe: 'BTC' });

export function describeState(state: ConnectionState): string {
  switch (state.status) {
    case 'reconnecting':
      return \`retry \${state.attempt} in \${state.delayMs} ms\`;
    case 'open':
      // @ts-expect-error only a reconnecting state has a delay
      return String(state.delayMs);
    default:
      return state.status;
  }
}

export function closeCode(error: unknown): number | undefined {
  return error instanceof WebSocketCloseError ? error.closeCode : undefined;
}

export const server: WebSocketServerDouble<Tick, Command> = createWebSocketDouble<Tick, Command>();
export const viaDouble = fromWebSocket<Tick, Command>('wss://double.example/ws', {
  ...json<Tick, Command>(),
  WebSocketCtor: server.WebSocketCtor,
});
export const action: ServerAction<Tick> = { json: { price: 1 } };
// @ts-expect-error a Tick's price is a number
export const wrong: ServerAction<Tick> = { json: { price: 'one' } };
`;

const CJS_TYPED_CONSUMER = `
import { fromWebSocket, type ReactiveWebSocket } from 'rx-websocket';
import { createWebSocketDouble } from 'rx-websocket/testing';

const server = createWebSocketDouble<string, string>();
export const socket: ReactiveWebSocket<string, string> = fromWebSocket<string, string>('wss://feed.example/ws', {
  WebSocketCtor: server.WebSocketCtor,
});
// @ts-expect-error Out is a string
socket.send(42);
`;

// Compiled and run: typed code connecting to the loopback server, as an ES module and as CommonJS.
const typedConnect = (load: string): string => `
${load}

interface Greeting {
  readonly hello?: string;
  readonly echo?: string;
}
interface Echo {
  readonly echo: string;
}

async function main(url: string): Promise<void> {
  const socket: ReactiveWebSocket<Greeting, Echo> = fromWebSocket<Greeting, Echo>(url, json<Greeting, Echo>());
  socket.send({ echo: 'sent before open' });
  const messages: Greeting[] = await firstValueFrom(socket.message$.pipe(take(2), toArray()));
  const server = createWebSocketDouble<Greeting, Echo>();
  console.log(JSON.stringify({ messages, double: typeof server.WebSocketCtor }));
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`;

const strict = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022' };

describe('a TypeScript consumer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await consumer(
      'typescript',
      {
        'package.json': JSON.stringify({ name: 'ts-consumer', private: true, type: 'module' }),
        'src/app.ts': TYPED_CONSUMER,
        'src/legacy.cts': CJS_TYPED_CONSUMER,
        'src/connect.ts': typedConnect(`
import { fromWebSocket, json, type ReactiveWebSocket } from 'rx-websocket';
import { createWebSocketDouble } from 'rx-websocket/testing';
import { firstValueFrom, take, toArray } from 'rxjs';`),
        'src/connect-legacy.cts': typedConnect(`
import { fromWebSocket, json, type ReactiveWebSocket } from 'rx-websocket';
import { createWebSocketDouble } from 'rx-websocket/testing';
import { firstValueFrom, take, toArray } from 'rxjs';`),
        'tsconfig.emit.json': JSON.stringify({
          compilerOptions: {
            ...strict,
            noEmit: false,
            rootDir: 'src',
            outDir: 'out',
            module: 'node16',
            moduleResolution: 'node16',
            lib: ['ES2022'],
            types: ['node'],
          },
          files: ['src/connect.ts', 'src/connect-legacy.cts'],
        }),
        // A Node program: Node's types, no DOM.
        'tsconfig.node16.json': JSON.stringify({
          compilerOptions: {
            ...strict,
            module: 'node16',
            moduleResolution: 'node16',
            lib: ['ES2022'],
            types: ['node'],
          },
          files: ['src/app.ts', 'src/legacy.cts'],
        }),
        'tsconfig.nodenext.json': JSON.stringify({
          compilerOptions: {
            ...strict,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            lib: ['ES2022'],
            types: ['node'],
          },
          files: ['src/app.ts', 'src/legacy.cts'],
        }),
        // An older app (Angular's default before its bundler resolution): node10 resolution reads no `exports` map.
        'tsconfig.node10.json': JSON.stringify({
          compilerOptions: {
            ...strict,
            module: 'commonjs',
            moduleResolution: 'node10',
            // TypeScript 6 deprecates node10; apps on TypeScript 5 still use it.
            ignoreDeprecations: '6.0',
            lib: ['ES2022'],
            types: ['node'],
          },
          files: ['src/legacy.cts'],
        }),
        // A browser app: the DOM's types, none of Node's.
        'tsconfig.bundler.json': JSON.stringify({
          compilerOptions: {
            ...strict,
            module: 'preserve',
            moduleResolution: 'bundler',
            lib: ['ES2022', 'DOM'],
            types: [],
          },
          files: ['src/app.ts'],
        }),
      },
      ['@types/node'],
    );
  });

  it.each(['node16', 'nodenext'])(
    'typechecks with moduleResolution %s, ES module and CommonJS files each getting their own declarations',
    async (resolution) => {
      const output = await runOk(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`, '--explainFiles'], dir);
      expect(output).toMatch(/node_modules\/rx-websocket\/dist\/esm\/index\.d\.ts/);
      expect(output).toMatch(/node_modules\/rx-websocket\/dist\/esm\/testing\/index\.d\.ts/);
      expect(output).toMatch(/node_modules\/rx-websocket\/dist\/cjs\/index\.d\.ts/);
      expect(output).toMatch(/node_modules\/rx-websocket\/dist\/cjs\/testing\/index\.d\.ts/);
    },
    60_000,
  );

  it('compiles typed code that connects to a loopback server and receives messages, as ES module and CommonJS', async () => {
    await runOk(process.execPath, [tsc, '-p', 'tsconfig.emit.json'], dir);
    for (const program of ['out/connect.js', 'out/connect-legacy.cjs']) {
      expect(await runNode(dir, [program])).toEqual({ messages: EXPECTED_MESSAGES, double: 'function' });
    }
  }, 60_000);

  it('typechecks with moduleResolution node10, which finds rx-websocket/testing through typesVersions', async () => {
    const output = await runOk(process.execPath, [tsc, '-p', 'tsconfig.node10.json', '--explainFiles'], dir);
    expect(output).toMatch(/node_modules\/rx-websocket\/dist\/cjs\/index\.d\.ts/);
    expect(output).toMatch(/node_modules\/rx-websocket\/dist\/cjs\/testing\/index\.d\.ts/);
  }, 60_000);

  it('typechecks with moduleResolution bundler, without Node types', async () => {
    const output = await runOk(process.execPath, [tsc, '-p', 'tsconfig.bundler.json', '--explainFiles'], dir);
    expect(output).toMatch(/node_modules\/rx-websocket\/dist\/esm\/index\.d\.ts/);
    expect(output).not.toMatch(/@types\/node/);
  }, 60_000);
});

describe('a browser bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await consumer('browser', {
      'package.json': JSON.stringify({ name: 'browser-consumer', private: true, type: 'module' }),
      'app.js': `
import { fromWebSocket, json } from 'rx-websocket';
import { firstValueFrom, take, toArray } from 'rxjs';
export function run(url) {
  const socket = fromWebSocket(url, json());
  socket.send({ echo: 'sent before open' });
  return firstValueFrom(socket.message$.pipe(take(2), toArray()));
}
`,
      'backoff-only.js': `
import { exponentialBackoff } from 'rx-websocket';
export const delayMs = exponentialBackoff({ initialDelayMs: 1000, jitter: 'none' })(3);
`,
      ...Object.fromEntries(
        ['build-default.js', 'build-development.js'].map((name) => [
          name,
          `import { fromWebSocket, InvalidCloseCodeError } from 'rx-websocket';
export function probe() {
  const out = {};
  try {
    fromWebSocket('ws://127.0.0.1:9/x', { lingerMs: -1 });
    out.options = 'accepted';
  } catch (error) {
    out.options = error.code + ': ' + error.message;
  }
  try {
    fromWebSocket('ws://127.0.0.1:9/x').close(1234);
  } catch (error) {
    const { code, closeCode, message } = error;
    out.close = { isClass: error instanceof InvalidCloseCodeError, code, closeCode, message };
  }
  return out;
}
`,
        ]),
      ),
      // Runs the browser bundle in Node, whose own WebSocket (built in from Node 22, behind a flag before) stands in
      // for the browser's.
      'run-bundle.mjs': `
const { run } = await import('./out/app.js');
console.log(JSON.stringify({ messages: await run(process.argv[2]), native: typeof WebSocket === 'function' }));
`,
    });
  });

  const bundle = async (
    entry: string,
    extra: { minify?: boolean; external?: string[]; conditions?: string[] } = {},
  ) => {
    const result = await build({
      absWorkingDir: dir,
      entryPoints: [entry],
      outdir: path.join(dir, 'out'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      metafile: true,
      write: true,
      logLevel: 'silent',
      ...extra,
    });
    const [output] = Object.values(result.metafile.outputs).filter((out) => out.entryPoint === entry);
    if (!output) throw new Error(`esbuild reported no output for ${entry}`);
    return {
      // The files that put code into the bundle (esbuild also lists files it read and then shook out entirely).
      inputs: Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([file]) => file),
      imports: output.imports,
      code: await readFile(path.join(dir, 'out', entry)),
    };
  };

  it('contains no Node built-ins and no ws code, and connects with the native WebSocket', async () => {
    const { inputs, imports, code } = await bundle('app.js');
    // Everything resolved inside the bundle: no Node built-in (or anything else) was left as an import.
    expect(imports).toEqual([]);
    expect(inputs.filter((input) => /node_modules\/(ws|isomorphic-ws)\//.test(input))).toEqual([]);
    const ours = inputs.filter((input) => input.includes('node_modules/rx-websocket/'));
    expect(ours).toContainEqual(expect.stringMatching(/rx-websocket\/dist\/browser\/core\/from-web-socket\.js$/));
    expect(ours.filter((input) => !input.includes('node_modules/rx-websocket/dist/browser/'))).toEqual([]);
    expect(code.toString()).not.toMatch(/\brequire\(|Sec-WebSocket-Key|perMessageDeflate/);

    const flags = nodeMajor < 22 ? ['--experimental-websocket', '--no-warnings'] : [];
    expect(await runNode(dir, [...flags, 'run-bundle.mjs'])).toEqual({ messages: EXPECTED_MESSAGES, native: true });
  }, 60_000);

  it('keeps only what is imported (sideEffects: false): exponentialBackoff alone pulls in no socket code', async () => {
    const { inputs, code } = await bundle('backoff-only.js');
    const ours = inputs
      .filter((input) => input.includes('node_modules/rx-websocket/'))
      .map((input) => input.replace(/.*node_modules\/rx-websocket\/dist\/browser\//, ''));
    expect(ours.sort()).toEqual(['core/errors.js', 'reconnect/backoff.js']);
    expect(
      inputs.filter((input) => !input.includes('node_modules/rx-websocket/') && input !== 'backoff-only.js'),
    ).toEqual([]);
    const text = code.toString();
    expect(text).not.toMatch(/isomorphic-ws|globalThis\.WebSocket|onmessage|readyState|fromWebSocket|rxjs/);
    const delay = await runOk(process.execPath, ['--input-type=module', '-e', `${text}\nconsole.log(delayMs);`], dir);
    expect(Number(delay)).toBe(4000);
  }, 60_000);

  // The weight of each app is measured (and held to its budget) by spec/package/size.spec.ts; here, the two browser
  // builds as a bundler picks them from the package: the default one and the `development` condition's.
  it('serves a production browser build by default and a development one under the development condition', async () => {
    const probe = async (entry: string, conditions?: string[]): Promise<Record<string, unknown>> => {
      const { code } = await bundle(entry, { minify: true, ...(conditions && { conditions }) });
      const text = code.toString();
      const result = await runOk(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { probe } = await import('./out/${entry}'); console.log(JSON.stringify(probe()));`,
        ],
        dir,
      );
      return { ...(JSON.parse(result) as object), nodePath: /removeListener/.test(text) };
    };
    const production = await probe('build-default.js');
    const development = await probe('build-development.js', ['development']);
    // Every check of runtime input stays, with its class, code and properties; its message is terse.
    expect(production.close).toEqual({
      isClass: true,
      code: 'ERR_INVALID_CLOSE_CODE',
      closeCode: 1234,
      message: 'ERR_INVALID_CLOSE_CODE 1234',
    });
    expect(development.close).toEqual({
      isClass: true,
      code: 'ERR_INVALID_CLOSE_CODE',
      closeCode: 1234,
      message: 'Invalid close code 1234: use 1000 or an integer in 3000-4999',
    });
    // The options object is checked in development builds only.
    expect(production.options).toBe('accepted');
    expect(development.options).toMatch(/^ERR_INVALID_OPTION: Invalid option lingerMs/);
    // Neither browser build has the Node (ws EventEmitter) path.
    expect([production.nodePath, development.nodePath]).toEqual([false, false]);
  }, 60_000);
});
