/**
 * Messages sent before the open (queued), from a state$ or open$ callback at the open, and after it, as strings,
 * ArrayBuffers, Uint8Arrays, Buffers and DataViews; some overwritten (a reused scratch buffer) or transferred
 * (detached) right after `send` returns; through no serializer, a serializer that encodes into one reused scratch
 * buffer, or one that throws; with a small queue that overflows. Invariant: nothing is lost or altered without a
 * report: each message reaches the server byte-identical to what it was when `send` was called, in order, or is
 * reported on error$ (EncodeError, SendQueueOverflowError, MessageNotSentError) exactly once, never both.
 */
import fc from 'fast-check';
import { Subscription } from 'rxjs';
import {
  EncodeError,
  fromWebSocket,
  MessageNotSentError,
  SendQueueOverflowError,
  type WebSocketOptions,
  type WebSocketPayload,
} from '../../../lib/index';
import { checkReported, describe, fuzz, makeThrown } from './fuzz-harness';

const PHASES = ['before the open', 'in a state$ open callback', 'in an open$ callback', 'after the open'] as const;

const message = fc.record({
  kind: fc.constantFrom('string', 'ArrayBuffer', 'Uint8Array', 'Buffer', 'DataView'),
  bytes: fc.uint8Array({ minLength: 0, maxLength: 48 }),
  after: fc.constantFrom('keep', 'keep', 'overwrite', 'transfer'),
  phase: fc.constantFrom(...PHASES),
});
type Message = typeof message extends fc.Arbitrary<infer T> ? T : never;

const sendCase = fc.record({
  messages: fc.array(message, { minLength: 1, maxLength: 12 }),
  serializer: fc.constantFrom('none', 'none', 'scratch', 'throws on every third'),
  maxMessages: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
});
type SendCase = typeof sendCase extends fc.Arbitrary<infer T> ? T : never;

interface Sent {
  readonly id: number;
  readonly value: WebSocketPayload;
  /** The bytes as they were when `send` was called, and whether they go as a binary frame. */
  readonly snapshot: Buffer;
  readonly isBinary: boolean;
  readonly spec: Message;
}

/** Message `id` as `kind`: its first two bytes (or characters) are its number, so that every one differs. */
function make(id: number, { kind, bytes }: Message): WebSocketPayload {
  if (kind === 'string') return `#${id}:${Buffer.from(bytes).toString('base64')}`;
  const content = new Uint8Array(bytes.length + 2);
  content[0] = id >> 8;
  content[1] = id & 0xff;
  content.set(bytes, 2);
  switch (kind) {
    case 'ArrayBuffer':
      return content.buffer;
    case 'Uint8Array':
      return content;
    case 'Buffer':
      return Buffer.from(content.buffer);
    default:
      return new DataView(content.buffer);
  }
}

function bytesOf(value: WebSocketPayload): Buffer {
  if (typeof value === 'string') return Buffer.from(value);
  if (value instanceof ArrayBuffer) return Buffer.from(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return Buffer.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  throw new Error('no Blobs here');
}

/** What an application does to its buffer right after `send` returns. */
function mutate(value: WebSocketPayload, after: Message['after']): void {
  if (typeof value === 'string' || after === 'keep') return;
  const buffer = value instanceof ArrayBuffer ? value : (value as ArrayBufferView).buffer;
  if (after === 'overwrite') new Uint8Array(buffer as ArrayBuffer).fill(0xee);
  else structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
}

fuzz('send', sendCase, async (input: SendCase, context) => {
  const { server } = context;
  const scratch = new Uint8Array(64);
  let serialized = 0;
  const serializer: WebSocketOptions<unknown, WebSocketPayload>['serializer'] =
    input.serializer === 'scratch'
      ? (value) => {
          // Encodes into one buffer reused for every message, as a fast encoder does.
          if (typeof value === 'string') return value;
          const bytes = bytesOf(value);
          scratch.set(bytes);
          return scratch.subarray(0, bytes.length);
        }
      : input.serializer === 'throws on every third'
        ? (value) => {
            if (++serialized % 3 === 0) throw makeThrown('TypeError');
            return value;
          }
        : undefined;
  const socket = fromWebSocket<unknown, WebSocketPayload>(server.url, {
    reconnect: false,
    ...(serializer && { serializer }),
    ...(input.maxMessages !== undefined && { sendQueue: { maxMessages: input.maxMessages } }),
  });
  const sent: Sent[] = [];
  const send = (spec: Message): void => {
    const id = sent.length;
    const value = make(id, spec);
    const isBinary = typeof value !== 'string';
    sent.push({ id, value, snapshot: Buffer.from(bytesOf(value)), isBinary, spec });
    try {
      socket.send(value);
    } catch (error) {
      context.violate('send never throws while error$ is heard', describe(error));
    }
    mutate(value, spec.after);
  };
  const inPhase = (phase: (typeof PHASES)[number]): Message[] => input.messages.filter((m) => m.phase === phase);

  const errors: unknown[] = [];
  const subscriptions = new Subscription();
  subscriptions.add(socket.error$.subscribe((error) => errors.push(error)));
  let openedInState = false;
  subscriptions.add(
    socket.state$.subscribe((state) => {
      if (state.status !== 'open' || openedInState) return;
      openedInState = true;
      inPhase('in a state$ open callback').forEach(send);
    }),
  );
  let opens = 0;
  subscriptions.add(
    socket.open$.subscribe(() => {
      if (opens++ === 0) inPhase('in an open$ callback').forEach(send);
      server.changes.notify();
    }),
  );
  subscriptions.add(socket.connect());
  inPhase('before the open').forEach(send);
  await server.changes
    .until(() => server.connections.length > 0 && opens > 0, 3_000, 'the open')
    .catch(() => {
      context.violate('the socket opens', `state$ opened: ${openedInState}, open$: ${opens}`);
    });
  inPhase('after the open').forEach(send);

  // What was reported, by message.
  const reported = new Map<number, number>();
  const idOf = new Map<unknown, number>(sent.map((s) => [s.value, s.id]));
  const count = (value: unknown): void => {
    const id = idOf.get(value);
    if (id !== undefined) reported.set(id, (reported.get(id) ?? 0) + 1);
  };
  const tally = (): void => {
    reported.clear();
    for (const error of errors) {
      if (error instanceof EncodeError) count(error.value);
      else if (error instanceof SendQueueOverflowError) count(error.rejected);
      else if (error instanceof MessageNotSentError) error.messages.forEach(count);
    }
  };
  const expected = (): Sent[] => sent.filter((s) => !reported.has(s.id));
  tally();
  const received = (): { data: Buffer; isBinary: boolean }[] => server.connections[0]?.received ?? [];
  await server.changes
    .until(() => (tally(), received().length >= expected().length), 1_500, 'every message not reported')
    .catch(() => undefined);
  subscriptions.unsubscribe();
  tally();

  checkReported(context, 'error$', errors, []);
  for (const [id, times] of reported)
    if (times > 1) context.violate('a message is reported at most once', `message ${id} was reported ${times} times`);
  const want = expected();
  const got = received();
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const w = want[i];
    const g = got[i];
    if (w && !g) {
      context.violate(
        'every message is delivered or reported',
        `${want.length - i} message(s) from #${w.id} neither arrived nor were reported (${got.length} arrived)`,
      );
      break;
    }
    if (!w && g) {
      context.violate('a reported message is not also delivered', `${got.length - want.length} extra message(s)`);
      break;
    }
    if (w && g && (!g.data.equals(w.snapshot) || g.isBinary !== w.isBinary)) {
      const { kind, after, phase } = w.spec;
      context.violate(
        'each message arrives byte-identical to what was sent, in order',
        `#${w.id} (${kind}, ${after} after send, sent ${phase}) arrived as ` +
          `${g.isBinary ? 'binary' : 'text'} ${g.data.toString('hex').slice(0, 24)} instead of ` +
          `${w.snapshot.toString('hex').slice(0, 24)}`,
      );
      break;
    }
  }
});
