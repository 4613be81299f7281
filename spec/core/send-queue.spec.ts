import fc from 'fast-check';
import { InvalidOptionError } from '../../lib/core/errors';
import type { WebSocketPayload } from '../../lib/core/events';
import {
  BoundedQueue,
  DEFAULT_SEND_QUEUE,
  resolveSendQueueLimits,
  type SendQueueOptions,
} from '../../lib/core/send-queue';

/** A queue with the given options validated and defaulted, as `fromWebSocket` makes it. */
function createSendQueue<Out>(options?: SendQueueOptions): BoundedQueue<Out> {
  return new BoundedQueue<Out>(resolveSendQueueLimits(options));
}

function invalid(options: unknown): InvalidOptionError {
  try {
    createSendQueue(options as SendQueueOptions);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected an InvalidOptionError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

describe('BoundedQueue and resolveSendQueueLimits', () => {
  describe('by default', () => {
    it('holds up to 1000 messages and 1 MiB, reporting overflow', () => {
      expect(DEFAULT_SEND_QUEUE).toEqual({ maxMessages: 1000, maxBytes: 1_048_576, overflow: 'report' });
      expect(createSendQueue().limits).toEqual(DEFAULT_SEND_QUEUE);
      expect(createSendQueue({}).limits).toEqual(DEFAULT_SEND_QUEUE);
    });

    it('starts empty', () => {
      const queue = createSendQueue();
      expect([queue.size, queue.bytes, queue.drain()]).toEqual([0, 0, []]);
    });
  });

  describe('while messages fit', () => {
    it('keeps them in the order they were offered, with their values and sizes', () => {
      const queue = createSendQueue<string>();
      const binary = new Uint8Array([1, 2, 3]);
      expect(queue.offer('first', 'first')).toBe(true);
      expect(queue.offer(binary, 'second')).toBe(true);
      expect(queue.offer('{"n":3}', 'third')).toBe(true);
      expect(queue.size).toBe(3);
      expect(queue.bytes).toBe(5 + 3 + 7);
      expect(queue.drain()).toEqual([
        { payload: 'first', value: 'first', bytes: 5 },
        { payload: binary, value: 'second', bytes: 3 },
        { payload: '{"n":3}', value: 'third', bytes: 7 },
      ]);
    });
  });

  describe('with maxMessages', () => {
    it('refuses the message after the limit and leaves the queue as it was', () => {
      const queue = createSendQueue<string>({ maxMessages: 2 });
      expect(queue.offer('a', 'a')).toBe(true);
      expect(queue.offer('b', 'b')).toBe(true);
      expect(queue.offer('c', 'c')).toBe(false);
      expect([queue.size, queue.bytes]).toEqual([2, 2]);
      expect(queue.drain().map((entry) => entry.value)).toEqual(['a', 'b']);
    });

    it('holds nothing with a limit of 0', () => {
      const queue = createSendQueue({ maxMessages: 0 });
      expect(queue.offer('', '')).toBe(false);
      expect(queue.size).toBe(0);
    });
  });

  describe('with maxBytes', () => {
    it('counts text in UTF-8 bytes, not characters', () => {
      const queue = createSendQueue<string>({ maxBytes: 6 });
      expect(queue.offer('é€', 'é€')).toBe(true); // 2 + 3 bytes
      expect(queue.bytes).toBe(5);
      expect(queue.offer('é', 'é')).toBe(false); // 7 > 6
      expect(queue.offer('a', 'a')).toBe(true); // exactly 6
      expect(queue.offer('', '')).toBe(true); // 0 bytes always fit
      expect(queue.offer('b', 'b')).toBe(false);
      expect(queue.drain().map((entry) => entry.value)).toEqual(['é€', 'a', '']);
    });

    it('counts binary data by byteLength and Blobs by size', () => {
      const queue = createSendQueue({ maxBytes: 10 });
      expect(queue.offer(new Uint32Array(2), null)).toBe(true); // 8 bytes
      expect(queue.offer(new Blob(['abc']), null)).toBe(false); // 11 > 10
      expect(queue.offer(new Blob(['ab']), null)).toBe(true); // exactly 10
      expect(queue.bytes).toBe(10);
    });

    it('refuses a message larger than the limit even when the queue is empty', () => {
      const queue = createSendQueue({ maxBytes: 4 });
      expect(queue.offer('😀a', null)).toBe(false);
      expect(queue.size).toBe(0);
    });

    it('still takes a smaller message after refusing a larger one', () => {
      const queue = createSendQueue({ maxBytes: 4 });
      expect(queue.offer('abc', null)).toBe(true);
      expect(queue.offer('de', null)).toBe(false);
      expect(queue.offer('f', null)).toBe(true);
    });
  });

  describe('with binary payloads', () => {
    it('keeps a copy of their bytes, which later changes to the caller’s buffer do not reach', () => {
      const queue = createSendQueue<unknown>();
      const memory = new Uint8Array([0, 1, 2, 3]);
      const view = memory.subarray(1, 3);
      queue.offer(view, 'view');
      queue.offer(memory.buffer, 'buffer');
      memory.fill(9);
      const [fromView, fromBuffer] = queue.drain().map((entry) => entry.payload);
      expect(fromView).toBeInstanceOf(Uint8Array);
      expect([...(fromView as Uint8Array)]).toEqual([1, 2]);
      expect((fromView as Uint8Array).buffer.byteLength).toBe(2);
      expect(fromBuffer).toBeInstanceOf(ArrayBuffer);
      expect([...new Uint8Array(fromBuffer as ArrayBuffer)]).toEqual([0, 1, 2, 3]);
    });

    it('copies a SharedArrayBuffer into an ArrayBuffer of its own', () => {
      const queue = createSendQueue<unknown>();
      const shared = new SharedArrayBuffer(2);
      new Uint8Array(shared).set([5, 6]);
      queue.offer(shared, 'shared');
      new Uint8Array(shared).fill(0);
      const [entry] = queue.drain();
      expect(entry?.payload).toBeInstanceOf(ArrayBuffer);
      expect([...new Uint8Array(entry?.payload as ArrayBuffer)]).toEqual([5, 6]);
    });

    it('keeps strings and Blobs as they are (both are immutable)', () => {
      const queue = createSendQueue<unknown>();
      const blob = new Blob(['abc']);
      queue.offer(blob, 'blob');
      queue.offer('text', 'text');
      expect(queue.drain().map((entry) => entry.payload)).toEqual([blob, 'text']);
    });

    it('throws for a detached buffer, and holds nothing for it', () => {
      const queue = createSendQueue<unknown>();
      const buffer = new ArrayBuffer(4);
      structuredClone(buffer, { transfer: [buffer] });
      // The platform's TypeError (from another realm under jest, so matched by its text).
      expect(() => queue.offer(buffer, 'gone')).toThrow(/detached/);
      expect([queue.size, queue.bytes]).toEqual([0, 0]);
    });
  });

  describe('drain', () => {
    it('empties the queue and frees its room', () => {
      const queue = createSendQueue<number>({ maxMessages: 1, maxBytes: 3 });
      queue.offer('abc', 1);
      expect(queue.drain()).toHaveLength(1);
      expect([queue.size, queue.bytes, queue.drain()]).toEqual([0, 0, []]);
      expect(queue.offer('xyz', 2)).toBe(true);
    });
  });

  describe('for invalid limits', () => {
    it.each([
      ['negative', -1],
      ['a fraction', 1.5],
      ['NaN', NaN],
      ['a numeric string', '5'],
      ['null', null],
    ])('rejects a maxMessages that is %s', (_, maxMessages) => {
      expect(invalid({ maxMessages }).option).toBe('sendQueue.maxMessages');
    });

    it.each([
      ['negative', -1],
      ['NaN', NaN],
      ['-Infinity', -Infinity],
      ['a numeric string', '1024'],
      ['null', null],
      ['a boolean', true],
      ['an array', []],
    ])('rejects a maxBytes that is %s', (_, maxBytes) => {
      expect(invalid({ maxBytes }).option).toBe('sendQueue.maxBytes');
    });

    it.each(['drop', 'error', '', null])('rejects the overflow %j', (overflow) => {
      expect(invalid({ overflow }).option).toBe('sendQueue.overflow');
    });

    it.each([
      ['null', null],
      ['a number', 5],
      ['a string', 'big'],
    ])('rejects options that are %s, with InvalidOptionError rather than a crash', (_, options) => {
      invalid(options);
    });
  });

  describe('for any sequence of offers', () => {
    const payload = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.integer({ min: 0, max: 16 }).map((n) => new Uint8Array(n)),
    );

    it('behaves like a FIFO that takes exactly the messages fitting both limits', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 6 }),
          fc.integer({ min: 0, max: 40 }),
          fc.array(fc.oneof(payload, fc.constant('drain' as const)), { maxLength: 30 }),
          (maxMessages, maxBytes, steps) => {
            const queue = createSendQueue<number>({ maxMessages, maxBytes });
            let model: { value: number; bytes: number }[] = [];
            steps.forEach((step, value) => {
              if (step === 'drain') {
                expect(queue.drain().map((entry) => entry.value)).toEqual(model.map((entry) => entry.value));
                model = [];
                return;
              }
              const bytes = typeof step === 'string' ? Buffer.byteLength(step) : step.byteLength;
              const used = model.reduce((sum, entry) => sum + entry.bytes, 0);
              const fits = model.length < maxMessages && used + bytes <= maxBytes;
              expect(queue.offer(step as WebSocketPayload, value)).toBe(fits);
              if (fits) model.push({ value, bytes });
              expect(queue.size).toBe(model.length);
              expect(queue.bytes).toBe(used + (fits ? bytes : 0));
            });
          },
        ),
      );
    });
  });
});

describe('sendQueue options, at their limits and in their messages', () => {
  it.each([
    ['maxMessages: Infinity', { maxMessages: Infinity }],
    ['maxBytes: Infinity', { maxBytes: Infinity }],
    ['a maxBytes that is not a whole number', { maxBytes: 1.5 }],
    ["overflow: 'throw'", { overflow: 'throw' }],
    ["overflow: 'report'", { overflow: 'report' }],
  ] as const)('accepts %s', (_, options) => {
    expect(createSendQueue(options).limits).toMatchObject(options);
  });

  it.each([
    ['options that are not an object', 'x', 'sendQueue', 'an object'],
    [
      'a maxMessages that is not a whole number',
      { maxMessages: 1.5 },
      'sendQueue.maxMessages',
      'an integer ≥ 0, or Infinity',
    ],
    ['a negative maxBytes', { maxBytes: -1 }, 'sendQueue.maxBytes', 'a number ≥ 0, or Infinity'],
    ['an unknown overflow', { overflow: 'drop' }, 'sendQueue.overflow', "'report' or 'throw'"],
  ])('names the option and the rule for %s', (_, options, option, rule) => {
    const error = invalid(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(rule);
  });
});
