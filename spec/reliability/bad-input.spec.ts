import fc from 'fast-check';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import {
  DecodeError,
  EncodeError,
  fromWebSocket,
  heartbeat,
  type HeartbeatOptions,
  InvalidCloseCodeError,
  InvalidCloseReasonError,
  InvalidOptionError,
  RxWebSocketError,
  type WebSocketOptions,
} from '../../lib/index';
import { join } from 'node:path';
import { runChild } from '../helpers/child';
import { closeAfterEach } from '../helpers/cleanup';
import { record, whenStatus } from '../helpers/observe';
import { within } from '../helpers/wait';
import { startServer, type TestServer } from '../helpers/ws-server';
import type { ThrowingDeserializerFigures } from './children/throwing-deserializer';

const track = closeAfterEach();

/** Bad input must never make the library print anything: every problem goes to the caller, typed. */
const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
let consoleSpies: jest.SpyInstance[] = [];
beforeEach(() => {
  consoleSpies = consoleMethods.map((method) => jest.spyOn(console, method).mockImplementation(() => undefined));
});
afterEach(() => {
  const printed = consoleSpies.flatMap((spy) => spy.mock.calls as unknown[][]);
  for (const spy of consoleSpies) spy.mockRestore();
  expect(printed).toEqual([]);
});

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** Every message of an error and of its causes, for leak checks. */
function messagesOf(error: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      out.push(e.message, String(e.stack ?? ''));
      e = e.cause;
    } else {
      out.push(typeof e === 'string' ? e : Object.prototype.toString.call(e));
      break;
    }
  }
  return out;
}

const isValidSendCode = (code: number): boolean =>
  code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999);

describe('fromWebSocket given bad input', () => {
  describe('close(code, reason)', () => {
    it('accepts 1000 and 3000-4999 and rejects every other code from 0 to 65535 with InvalidCloseCodeError', () => {
      const socket = track(fromWebSocket(server.url, { reconnect: false }));
      let accepted = 0;
      for (let code = 0; code <= 65_535; code++) {
        if (isValidSendCode(code)) {
          expect(() => socket.close(code)).not.toThrow();
          accepted++;
          continue;
        }
        let thrown: unknown;
        try {
          socket.close(code);
        } catch (error) {
          thrown = error;
        }
        if (!(thrown instanceof InvalidCloseCodeError) || thrown.closeCode !== code) {
          throw new Error(`close(${code}) threw ${String(thrown)} instead of an InvalidCloseCodeError for ${code}`);
        }
      }
      expect(accepted).toBe(2001);
    });

    it('rejects codes that are not integers, or not numbers, with InvalidCloseCodeError', () => {
      const socket = track(fromWebSocket(server.url, { reconnect: false }));
      fc.assert(
        fc.property(
          fc.oneof(
            fc.double().filter((d) => !Number.isInteger(d)),
            fc.constantFrom(NaN, Infinity, -Infinity, -0.5, 1000.5, 2999.999),
            fc.string(),
            fc.constantFrom(null, true, {}, [], 1000n),
          ),
          (code) => {
            expect(() => socket.close(code as number)).toThrow(InvalidCloseCodeError);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('accepts reasons of at most 123 UTF-8 bytes and rejects longer ones with their byte length', () => {
      const socket = track(fromWebSocket(server.url, { reconnect: false }));
      const reasons = fc.oneof(
        fc.string({ unit: 'grapheme-ascii', maxLength: 160 }),
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.string({ unit: 'grapheme-composite', maxLength: 40 }),
        // Around the limit, with characters of every UTF-8 width.
        fc
          .tuple(fc.constantFrom('a', 'é', '€', '😀', '\ud800'), fc.integer({ min: 28, max: 125 }))
          .map(([char, count]) => char.repeat(count)),
      );
      let tooLong = 0;
      fc.assert(
        fc.property(reasons, (reason) => {
          const bytes = Buffer.byteLength(reason);
          if (bytes <= 123) {
            expect(() => socket.close(1000, reason)).not.toThrow();
            return;
          }
          tooLong++;
          let thrown: unknown;
          try {
            socket.close(4000, reason);
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(InvalidCloseReasonError);
          expect((thrown as InvalidCloseReasonError).byteLength).toBe(bytes);
          expect((thrown as Error).message).toContain(`${bytes} UTF-8 bytes`);
        }),
        { numRuns: 500 },
      );
      expect(tooLong).toBeGreaterThan(50);
    });

    it('rejects a reason that is not a string', () => {
      const socket = track(fromWebSocket(server.url, { reconnect: false }));
      for (const reason of [42, null, {}, ['x'], Symbol('s'), () => 'x'])
        expect(() => socket.close(1000, reason as unknown as string)).toThrow(InvalidCloseReasonError);
    });

    it('puts valid codes and reasons on the wire as given, and a rejected close leaves the connection open', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 })),
          fc.string({ unit: 'grapheme', maxLength: 30 }).filter((r) => Buffer.byteLength(r) <= 123),
          async (code, reason) => {
            const socket = track(fromWebSocket(server.url, { reconnect: false }));
            const held = socket.connect();
            const client = await within(server.nextClient(), 5_000, 'a connection');
            await whenStatus(socket.state$, 'open');
            expect(() => socket.close(1001, reason)).toThrow(InvalidCloseCodeError);
            expect(() => socket.close(code, 'x'.repeat(124))).toThrow(InvalidCloseReasonError);
            expect(socket.readyState).toBe(1);
            socket.close(code, reason);
            expect(await within(client.closed, 5_000, 'the close')).toEqual({ code, reason });
            held.unsubscribe();
          },
        ),
        { numRuns: 25 },
      );
    });
  });

  describe('URLs', () => {
    /**
     * Every attempt goes to 127.0.0.1, whatever host the URL names, so nothing leaves the machine: to a listener
     * that drops each connection at once, so that every attempt fails the same way.
     */
    const dropper = createServer((connection) => connection.destroy());
    const toLoopback = (): Socket =>
      createConnection({ host: '127.0.0.1', port: (dropper.address() as AddressInfo).port });
    beforeAll(async () => {
      dropper.listen(0, '127.0.0.1');
      await once(dropper, 'listening');
    });
    afterAll(() => new Promise<void>((resolve) => dropper.close(() => resolve())));

    const secret = (prefix: string): fc.Arbitrary<string> =>
      fc.stringMatching(/^[A-Za-z0-9]{10,16}$/).map((s) => `${prefix}${s}`);
    const schemes = fc.constantFrom(
      'ws',
      'wss',
      'http',
      'https',
      'WS',
      'ftp',
      'file',
      'javascript',
      'data',
      'ws+unix',
      'mailto',
      'x-y',
      '',
    );
    const hosts = fc.constantFrom(
      '127.0.0.1',
      'localhost',
      '[::1]',
      'example.test',
      'a.b.c.test',
      'ho st',
      '',
      '999.1.1.1',
      'xn--',
      ':80',
    );
    /** URLs with credentials and a token in the query, well-formed or not. */
    const credentialed = fc
      .record({
        scheme: schemes,
        host: hosts,
        port: fc.oneof(
          fc.constant(''),
          fc.integer({ min: 0, max: 70_000 }).map((p) => `:${p}`),
        ),
        path: fc.webPath(),
        user: fc.stringMatching(/^[a-z]{1,8}$/),
        password: secret('pw'),
        // Characters inside the password that URL parsers treat specially; a raw '@' belongs to the password too.
        passwordNoise: fc.constantFrom('', '@', '%40', ':', ';', '!$&()*+,=', '%'),
        passwordEnd: secret('pz'),
        token: secret('tk'),
        fragment: fc.constantFrom('', '#frag', '#tk=leak'),
        separator: fc.constantFrom('//', '/', ''),
      })
      .map((u) => ({
        url: `${u.scheme}${u.scheme ? ':' : ''}${u.separator}${u.user}:${u.password}${u.passwordNoise}${u.passwordEnd}@${u.host}${u.port}${u.path}?token=${u.token}&x=1${u.fragment}`,
        // Each half of the password on its own: a redaction that stops at the wrong '@' leaks the second.
        secrets: [u.password, u.passwordEnd, u.token],
      }));
    const anything = fc.oneof(
      fc.string(),
      fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true } }),
      fc.constantFrom('/relative', 'relative', '//host/x', '?q=1', '#f', ' ', '\u0000', 'ws://', 'ws:///x', 'wss://:0'),
      fc.constantFrom(undefined, null, 42, {}, [], Symbol('url'), true),
    );

    /** Subscribes, waits for the end, and checks that every report is typed and that nothing was thrown or printed. */
    async function attempt(input: unknown): Promise<{ errors: unknown[]; end: unknown; state: unknown }> {
      const socket = track(
        fromWebSocket(input as string, {
          reconnect: { maxAttempts: 0, connectTimeoutMs: 2_000 },
          socketOptions: { createConnection: toLoopback },
        }),
      );
      expect(() => socket.url).not.toThrow();
      const errors = record(socket.error$);
      const messages = record(socket.message$);
      await within(messages.ended, 5_000, `the attempt to end for ${String(input)}`);
      const state = await firstValueFrom(socket.state$);
      expect(messages.error).toBeInstanceOf(RxWebSocketError);
      for (const e of errors.values) expect(e).toBeInstanceOf(RxWebSocketError);
      return { errors: errors.values, end: messages.error, state };
    }

    it('ends any URL, string or not, with a typed error on error$ and message$, never a throw', async () => {
      await fc.assert(
        fc.asyncProperty(anything, async (input) => {
          await attempt(input);
        }),
        { numRuns: 150 },
      );
    });

    it('never puts a password or a query token into an error message, well-formed URL or not', async () => {
      await fc.assert(
        fc.asyncProperty(credentialed, async ({ url, secrets }) => {
          const { errors, end, state } = await attempt(url);
          const texts = [...errors, end, (state as { error?: unknown }).error].flatMap(messagesOf);
          for (const text of texts) for (const s of secrets) expect(text).not.toContain(s);
        }),
        { numRuns: 150 },
      );
    });

    it('never echoes a token offered as a sub-protocol in an error message', async () => {
      // Some servers take a bearer token as a sub-protocol (a browser cannot set headers). Whether the server
      // accepts none of the offered protocols or the token is not even a valid one, the token stays out of errors.
      const refusing = await startServer({ handleProtocols: () => false });
      try {
        await fc.assert(
          fc.asyncProperty(
            secret('tk'),
            fc.constantFrom('bearer.', 'base64url.bearer.authorization.', 'bad token '),
            async (token, prefix) => {
              const offered = ['v1.feed', `${prefix}${token}`];
              const socket = track(fromWebSocket(refusing.url, offered, { reconnect: false }));
              const errors = record(socket.error$);
              const messages = record(socket.message$);
              await within(messages.ended, 5_000, 'the attempt to end');
              expect(messages.error).toBeInstanceOf(RxWebSocketError);
              const texts = [...errors.values, messages.error].flatMap(messagesOf);
              for (const text of texts) expect(text).not.toContain(token);
            },
          ),
          { numRuns: 20 },
        );
      } finally {
        await refusing.close();
      }
    });
  });

  describe('send(payload)', () => {
    const typedArrays = [
      Int8Array,
      Uint8Array,
      Uint8ClampedArray,
      Int16Array,
      Uint16Array,
      Int32Array,
      Uint32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
      BigUint64Array,
    ] as const;

    /** A view of any kind over random bytes, at a random offset into a larger buffer. */
    const views = fc
      .record({
        kind: fc.integer({ min: 0, max: typedArrays.length }),
        bytes: fc.uint8Array({ maxLength: 256 }),
        before: fc.integer({ min: 0, max: 3 }),
        after: fc.integer({ min: 0, max: 3 }),
      })
      .map(({ kind, bytes, before, after }): ArrayBufferView => {
        const Ctor = typedArrays[kind];
        const width = Ctor ? Ctor.BYTES_PER_ELEMENT : 1;
        const length = Math.floor(bytes.length / width);
        const buffer = new ArrayBuffer((before + length + after) * width);
        new Uint8Array(buffer, before * width, length * width).set(bytes.subarray(0, length * width));
        return Ctor ? new Ctor(buffer, before * width, length) : new DataView(buffer, before * width, length * width);
      });

    it('sends every typed array and DataView byte-exact, whatever its offset', async () => {
      const socket = track(fromWebSocket<unknown, ArrayBufferView>(server.url, { reconnect: false }));
      const held = socket.connect();
      const client = await within(server.nextClient(), 5_000, 'a connection');
      await whenStatus(socket.state$, 'open');
      const sent: Buffer[] = [];
      fc.assert(
        fc.property(views, (view) => {
          socket.send(view);
          sent.push(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
        }),
        { numRuns: 300 },
      );
      await within(client.receivedCount(sent.length), 5_000, 'every view');
      expect(client.received.map((m) => m.data)).toEqual(sent);
      expect(client.received.every((m) => m.isBinary)).toBe(true);
      held.unsubscribe();
    });

    it('sends ArrayBuffer, SharedArrayBuffer and Blob as binary, strings as text', async () => {
      const socket = track(fromWebSocket<unknown, unknown>(server.url, { reconnect: false }));
      const held = socket.connect();
      const client = await within(server.nextClient(), 5_000, 'a connection');
      await whenStatus(socket.state$, 'open');
      const shared = new SharedArrayBuffer(3);
      new Uint8Array(shared).set([7, 8, 9]);
      socket.send(new Uint8Array([1, 2]).buffer);
      socket.send(shared);
      socket.send(new Blob([new Uint8Array([3, 4])]));
      socket.send('');
      socket.send('\ud800');
      await within(client.receivedCount(5), 5_000, 'five messages');
      expect(client.received).toEqual([
        { data: Buffer.from([1, 2]), isBinary: true },
        { data: Buffer.from([7, 8, 9]), isBinary: true },
        { data: Buffer.from([3, 4]), isBinary: true },
        { data: Buffer.from(''), isBinary: false },
        { data: Buffer.from('\ufffd'), isBinary: false },
      ]);
      held.unsubscribe();
    });

    const nonPayloads = fc.oneof(
      fc.object(),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.integer(),
      fc.double(),
      fc.bigInt(),
      fc.boolean(),
      fc.constantFrom(
        undefined,
        null,
        NaN,
        Symbol('s'),
        () => 'x',
        new Date(0),
        new Map([[1, 2]]),
        new Set([1]),
        Promise.resolve('x'),
        Object.create(null) as object,
        new (class Custom {})(),
        new String('boxed'),
        /regex/,
        new Error('an error as a payload'),
      ),
    );

    it('reports anything else as an EncodeError on error$, sends nothing for it, and keeps the connection', async () => {
      const socket = track(fromWebSocket<string, unknown>(server.url, { reconnect: false }));
      const errors = record(socket.error$);
      const held = socket.connect();
      const client = await within(server.nextClient(), 5_000, 'a connection');
      await whenStatus(socket.state$, 'open');
      let count = 0;
      fc.assert(
        fc.property(nonPayloads, (value) => {
          expect(() => socket.send(value)).not.toThrow();
          expect(() => socket.send$.next(value)).not.toThrow();
          count += 2;
          const last = errors.values.at(-1);
          expect(last).toBeInstanceOf(EncodeError);
          expect((last as EncodeError).code).toBe('ERR_ENCODE');
          expect(Object.is((last as EncodeError).value, value)).toBe(true);
        }),
        { numRuns: 300 },
      );
      socket.send('still here');
      await within(client.receivedCount(1), 5_000, 'the valid message');
      expect(client.received.map((m) => m.data.toString())).toEqual(['still here']);
      expect(errors.values).toHaveLength(count);
      expect(socket.readyState).toBe(1);
      held.unsubscribe();
    });

    it('throws the EncodeError to the caller when nobody listens on error$, so it is never silent', () => {
      const socket = track(fromWebSocket<string, unknown>(server.url, { reconnect: false }));
      fc.assert(
        fc.property(nonPayloads, (value) => {
          expect(() => socket.send(value)).toThrow(EncodeError);
        }),
        { numRuns: 100 },
      );
    });

    it('reports a serializer that returns a non-payload or throws, as an EncodeError', async () => {
      let produce: () => unknown = () => undefined;
      const socket = track(
        fromWebSocket<string, number>(server.url, {
          serializer: () => produce() as string,
          reconnect: false,
        }),
      );
      const errors = record(socket.error$);
      socket.connect();
      await whenStatus(socket.state$, 'connecting');
      fc.assert(
        fc.property(nonPayloads, fc.boolean(), (value, throws) => {
          produce = () => {
            // eslint-disable-next-line @typescript-eslint/only-throw-error -- user code may throw anything
            if (throws) throw value;
            return value;
          };
          socket.send(1);
          expect(errors.values.at(-1)).toBeInstanceOf(EncodeError);
        }),
        // Values that String() cannot convert are always among them.
        {
          numRuns: 200,
          examples: [
            [Object.create(null), true],
            [{ toString: 1 }, true],
            [Object.create(null), false],
          ],
        },
      );
    });
  });

  describe('a deserializer that throws anything', () => {
    it('reports a DecodeError on error$ and goes on', async () => {
      const thrown = fc.sample(
        fc.oneof(fc.anything(), fc.constantFrom<unknown>(Symbol('s'), new Error('e'), undefined, null)),
        { numRuns: 150, seed: 11 },
      );
      let next = 0;
      const socket = track(
        fromWebSocket<string, string>(server.url, {
          reconnect: false,
          deserializer: (event) => {
            if (event.data === 'ok') return 'ok';
            throw thrown[next++];
          },
        }),
      );
      const errors = record(socket.error$);
      const oks = record(socket.message$);
      const held = socket.connect();
      const client = await within(server.nextClient(), 5_000, 'a connection');
      for (let i = 0; i < thrown.length; i++) client.socket.send('bad');
      client.socket.send('ok');
      await within(firstValueFrom(socket.message$), 5_000, 'the message after the ones the deserializer rejected');
      expect(oks.values).toEqual(['ok']);
      expect(errors.values).toHaveLength(thrown.length);
      for (const e of errors.values) expect(e).toBeInstanceOf(DecodeError);
      held.unsubscribe();
    });
  });

  describe('a deserializer that throws a value String() cannot convert', () => {
    it('still gets a DecodeError on error$, and nothing escapes to crash the process', async () => {
      // In a process of its own: an exception escaping the socket's message handler would be uncaught.
      const result = await runChild<ThrowingDeserializerFigures & { error?: string }>(
        join(__dirname, 'children', 'throwing-deserializer.ts'),
        {},
        { timeoutMs: 30_000 },
      );
      expect(result.figures.error).toBeUndefined();
      expect(result.figures.uncaught).toEqual([]);
      expect(result.figures.decodeErrors).toBe(result.figures.thrown);
      expect(result.figures.otherErrors).toEqual([]);
      expect(result.figures.receivedAfter).toBe(true);
      expect(result.exitedByItself).toBe(true);
    }, 40_000);
  });

  describe('options', () => {
    const notANumber = fc.constantFrom<unknown>('5', null, true, {}, [], () => 5, 5n);
    const negative = fc.oneof(fc.double({ max: -Number.MIN_VALUE, noNaN: true }), fc.integer({ max: -1 }));
    const notFinite = fc.constantFrom(NaN, Infinity, -Infinity);
    const nonInteger = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d));
    const notAFunction = fc.oneof(fc.string(), fc.integer(), fc.constantFrom<unknown>(null, {}, [], true));
    const notAnObject = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constantFrom<unknown>(null, true, () => ({})),
    );

    /** The option path, how to put a value there, and values that must be rejected. */
    const cases: [string, (value: unknown) => object, fc.Arbitrary<unknown>][] = [
      ['lingerMs', (v) => ({ lingerMs: v }), fc.oneof(negative, notFinite, notANumber)],
      ['reconnect', (v) => ({ reconnect: v }), fc.oneof(fc.string(), fc.integer(), fc.constantFrom<unknown>(null))],
      [
        'reconnect.maxAttempts',
        (v) => ({ reconnect: { maxAttempts: v } }),
        fc.oneof(negative, nonInteger, fc.constantFrom(NaN, -Infinity, -1, 1.5), notANumber),
      ],
      [
        'reconnect.resetAfterMs',
        (v) => ({ reconnect: { resetAfterMs: v } }),
        fc.oneof(negative, notFinite, notANumber),
      ],
      [
        'reconnect.connectTimeoutMs',
        (v) => ({ reconnect: { connectTimeoutMs: v } }),
        fc.oneof(negative, fc.constantFrom(0, NaN, -Infinity), notANumber),
      ],
      ['reconnect.backoff', (v) => ({ reconnect: { backoff: v } }), notAFunction],
      ['reconnect.shouldReconnect', (v) => ({ reconnect: { shouldReconnect: v } }), notAFunction],
      [
        'heartbeat',
        (v) => ({ heartbeat: v }),
        // 0.1 took the settings themselves: they now go through heartbeat().
        fc.oneof(notAnObject, fc.constantFrom<unknown>({}, { intervalMs: 5_000 }, { timeoutMs: 1, ping: 'p' })),
      ],
      [
        'heartbeat.intervalMs',
        (v) => ({ heartbeat: heartbeat({ intervalMs: v } as HeartbeatOptions) }),
        fc.oneof(negative, notFinite, fc.constant(0), notANumber),
      ],
      [
        'heartbeat.timeoutMs',
        (v) => ({ heartbeat: heartbeat({ timeoutMs: v } as HeartbeatOptions) }),
        fc.oneof(negative, notFinite, fc.constant(0), notANumber),
      ],
      ['heartbeat.isPong', (v) => ({ heartbeat: heartbeat({ isPong: v } as HeartbeatOptions) }), notAFunction],
      [
        'heartbeat.ping',
        (v) => ({ heartbeat: heartbeat({ ping: v } as HeartbeatOptions) }),
        fc.oneof(fc.integer(), fc.constantFrom<unknown>(null, {}, true, Symbol('p'))),
      ],
      [
        'heartbeat.emitPongs',
        (v) => ({ heartbeat: heartbeat({ emitPongs: v } as HeartbeatOptions) }),
        fc.oneof(fc.string(), fc.integer(), fc.constantFrom<unknown>(null, {})),
      ],
      ['sendQueue', (v) => ({ sendQueue: v }), notAnObject],
      [
        'sendQueue.maxMessages',
        (v) => ({ sendQueue: { maxMessages: v } }),
        fc.oneof(negative, nonInteger, fc.constantFrom(NaN, -Infinity), notANumber),
      ],
      [
        'sendQueue.maxBytes',
        (v) => ({ sendQueue: { maxBytes: v } }),
        fc.oneof(negative, fc.constantFrom(NaN, -Infinity), notANumber),
      ],
      [
        'sendQueue.overflow',
        (v) => ({ sendQueue: { overflow: v } }),
        fc.oneof(
          fc.string().filter((s) => s !== 'report' && s !== 'throw'),
          fc.constantFrom<unknown>(null, 1),
        ),
      ],
      [
        'binaryType',
        (v) => ({ binaryType: v }),
        fc.oneof(fc.constantFrom<unknown>('nodebuffer', 'fragments', 'Blob', null, 1)),
      ],
      ['decodeErrors', (v) => ({ decodeErrors: v }), fc.constantFrom<unknown>('ignore', 'throw', null, 0)],
      ['serializer', (v) => ({ serializer: v }), notAFunction],
      ['deserializer', (v) => ({ deserializer: v }), notAFunction],
      ['WebSocketCtor', (v) => ({ WebSocketCtor: v }), notAFunction],
      [
        'socketOptions',
        (v) => ({ socketOptions: v }),
        fc.oneof(fc.string(), fc.integer(), fc.constantFrom<unknown>(null, true)),
      ],
    ];

    it.each(cases)('rejects a bad %s synchronously with an InvalidOptionError naming it', (name, place, values) => {
      fc.assert(
        fc.property(values, (value) => {
          let thrown: unknown;
          try {
            fromWebSocket(server.url, place(value) as WebSocketOptions<unknown, unknown>);
          } catch (error) {
            thrown = error;
          }
          if (!(thrown instanceof InvalidOptionError)) {
            throw new Error(`${name} = ${String(value)}: expected an InvalidOptionError, got ${String(thrown)}`);
          }
          expect(thrown.option).toBe(name);
          expect(thrown.message).toContain(name);
        }),
        { numRuns: 60 },
      );
    });

    it('rejects options that are not an object, in either position', () => {
      for (const bad of [5, true, null, Symbol('o')]) {
        expect(() => fromWebSocket(server.url, bad as never)).toThrow(InvalidOptionError);
        expect(() => fromWebSocket(server.url, ['p'], bad as never)).toThrow(InvalidOptionError);
      }
    });

    it('accepts the edge values that are in range', () => {
      const good: WebSocketOptions<unknown, unknown>[] = [
        { lingerMs: 0 },
        { reconnect: false },
        { reconnect: { maxAttempts: 0 } },
        { reconnect: { maxAttempts: Infinity, resetAfterMs: 0, connectTimeoutMs: Infinity } },
        { heartbeat: heartbeat() },
        { heartbeat: heartbeat({}) },
        { heartbeat: heartbeat({ intervalMs: 1, timeoutMs: 1, ping: 'ping', emitPongs: true }) },
        { heartbeat: heartbeat({ ping: () => new Uint8Array([1]) }) },
        { sendQueue: { maxMessages: 0, maxBytes: 0, overflow: 'throw' } },
        { sendQueue: { maxBytes: Infinity } },
        { binaryType: 'blob', decodeErrors: 'fatal' },
      ];
      for (const options of good) expect(() => track(fromWebSocket(server.url, options))).not.toThrow();
    });

    it('reports bad sub-protocols as a typed error on error$, not a crash', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.constantFrom<unknown>('', 'a b', 'a,b', ['x', 'x'], [1], [''], [null], ['ok', 'not ok']),
            fc.string().filter((s) => !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s)),
          ),
          async (protocols) => {
            const socket = track(fromWebSocket(server.url, protocols as string, { reconnect: false }));
            const errors = record(socket.error$);
            const messages = record(socket.message$);
            await within(messages.ended, 5_000, 'the attempt to end');
            expect(messages.error).toBeInstanceOf(RxWebSocketError);
            for (const e of errors.values) expect(e).toBeInstanceOf(RxWebSocketError);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});
