/**
 * The production browser build, built for real beside the development one (the `development` condition). It renames
 * the library's private class members to short names (scripts/build.mjs, scripts/private-names.cjs): only private
 * names are renamed, the public surface of the socket and of its errors is intact, and a whole life of a socket (queued
 * send, open, messages, a drop and a reconnection, close) played on the test kit's double gives the same streams in
 * both builds. It words its messages tersely: the development wording of the default path is not in it.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { privateNames } from '../../scripts/private-names.cjs';

const ROOT = path.resolve(__dirname, '../..');

function node(args: readonly string[], timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args[0]} took over ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`node exited with ${code}\n${stdout}\n${stderr}`));
    });
  });
}

/** Plays one socket's life on the double with the build in `dir`, and prints what every stream saw. */
const SCENARIO = `
const dir = process.argv[1];
const { fromWebSocket, json, RxWebSocketError } = await import(dir + '/index.js');
const { createWebSocketDouble } = await import(dir + '/testing/index.js');
const { TestScheduler } = await import('rxjs/testing');

const describeError = (error) => ({
  name: error.name,
  code: error.code,
  isLibraryError: error instanceof RxWebSocketError,
  constructor: error.constructor.name === '' ? '' : 'named',
  keys: Object.keys(error).sort(),
});
const seen = [];
const surface = new Set();
new TestScheduler(() => undefined).run(({ flush }) => {
  const server = createWebSocketDouble({ autoOpen: true });
  const socket = fromWebSocket('wss://feed.example/ws', {
    ...json(),
    WebSocketCtor: server.WebSocketCtor,
    reconnect: { backoff: () => 100 },
  });
  for (let object = socket; object && object !== Object.prototype; object = Object.getPrototypeOf(object))
    for (const key of Object.getOwnPropertyNames(object)) surface.add(key);
  const note = (stream) => (value) => seen.push([stream, value instanceof Error ? describeError(value) : value]);
  socket.state$.subscribe(note('state'));
  socket.open$.subscribe(note('open'));
  socket.close$.subscribe(note('close'));
  socket.error$.subscribe(note('error'));
  socket.message$.subscribe({ next: note('message'), error: note('message error'), complete: () => note('message')('complete') });
  socket.send({ queued: 1 });
  flush();
  server.latest.messageJson({ price: 1 });
  server.latest.message('not json');
  seen.push(['sent', server.latest.sentJson()]);
  server.latest.close(1006, '', false);
  flush();
  try {
    socket.close(1234);
  } catch (error) {
    seen.push(['close threw', describeError(error)]);
  }
  seen.push(['unsent', socket.close(4000, 'bye')]);
  flush();
  seen.push(['readyState', socket.readyState, 'binaryType', socket.binaryType, 'url', socket.url]);
});
console.log(JSON.stringify({ seen, surface: [...surface].sort() }));
`;

interface Played {
  readonly seen: unknown[];
  readonly surface: string[];
}

let builds: string;
let dist: string;
let production: Played;
let development: Played;
beforeAll(async () => {
  await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
  builds = await mkdtemp(path.join(ROOT, '.tmp', 'browser-build-'));
  dist = path.join(builds, 'dist');
  await node([path.join(ROOT, 'scripts/build.mjs'), '--out-dir', dist]);
  const play = async (name: string): Promise<Played> =>
    JSON.parse(await node(['--input-type=module', '-e', SCENARIO, path.join(dist, name)], 30_000)) as Played;
  [production, development] = await Promise.all([play('browser'), play('browser-dev')]);
}, 120_000);
afterAll(async () => {
  if (builds) await rm(builds, { recursive: true, force: true });
});

describe('the production browser build', () => {
  it('renames private members only: every other name of the socket is there, under its own name', () => {
    const renamed = new Set(privateNames());
    const publicNames = development.surface.filter((name) => !renamed.has(name));
    expect(publicNames).toEqual(
      expect.arrayContaining(['message$', 'state$', 'error$', 'send', 'close', 'reconnect', 'connect', 'url']),
    );
    expect(production.surface).toEqual(expect.arrayContaining(publicNames));
    expect(production.surface.filter((name) => renamed.has(name))).toEqual([]);
    // The development build keeps them: the renaming is what left them out above.
    expect(development.surface.some((name) => renamed.has(name))).toBe(true);
  });

  it('plays a socket through its life as the development build does: same events, errors, codes and properties', () => {
    expect(development.seen.length).toBeGreaterThan(10);
    expect(production.seen).toEqual(development.seen);
  });

  it('words the messages of the default path tersely: none of their development wording is in it', async () => {
    const wording: Record<string, readonly string[]> = {
      'core/url.js': ['expected a string or URL', 'not a valid URL', 'needs a page or worker location', 'is not ws:'],
      'core/protocols.js': ['a string or an array of strings', 'a non-empty token', 'must not repeat'],
      'core/options.js': ["'arraybuffer' or 'blob'"],
      'core/json.js': ['cannot be parsed synchronously'],
      'core/from-web-socket.js': ['not a string, ArrayBuffer, Blob or ArrayBufferView'],
      'core/session.js': ["the socket's setup threw"],
      'core/connection.js': ['the WebSocket constructor threw', 'browsers give no detail'],
      'reconnect/backoff.js': ['retries count from 1', 'needs a function returning numbers', 'the random source must'],
      'reconnect/retry-with-backoff.js': ['it must return milliseconds from 0 to'],
    };
    const found = async (build: string): Promise<string[]> => {
      const texts: string[] = [];
      for (const [file, phrases] of Object.entries(wording)) {
        const code = await readFile(path.join(dist, build, file), 'utf8');
        texts.push(...phrases.filter((phrase) => code.includes(phrase)));
      }
      return texts;
    };
    expect(await found('browser')).toEqual([]);
    expect(await found('browser-dev')).toEqual(Object.values(wording).flat());
  });
});
