import * as vm from 'node:vm';
import { describeNonPayload, isPayload, payloadByteLength } from '../../lib/core/payload';

const typedArrays = [
  new Int8Array(2),
  new Uint8Array(2),
  new Uint8ClampedArray(2),
  new Int16Array(2),
  new Uint16Array(2),
  new Int32Array(2),
  new Uint32Array(2),
  new Float32Array(2),
  new Float64Array(2),
  new BigInt64Array(2),
  new BigUint64Array(2),
  Buffer.from('hi'),
];

describe('isPayload', () => {
  describe('for what a WebSocket sends as it is', () => {
    it('accepts strings, the empty one included', () => {
      expect(isPayload('hello')).toBe(true);
      expect(isPayload('')).toBe(true);
    });

    it.each(typedArrays.map((array) => [array.constructor.name, array] as const))('accepts a %s', (_, array) => {
      expect(isPayload(array)).toBe(true);
    });

    it('accepts a DataView, an ArrayBuffer and a SharedArrayBuffer', () => {
      expect(isPayload(new DataView(new ArrayBuffer(4)))).toBe(true);
      expect(isPayload(new ArrayBuffer(4))).toBe(true);
      expect(isPayload(new SharedArrayBuffer(4))).toBe(true);
    });

    it('accepts a Blob', () => {
      expect(isPayload(new Blob(['hello']))).toBe(true);
    });

    it('accepts binary data made in another realm (an iframe, a vm context), as WebSocket.send does', () => {
      const realm = vm.createContext({});
      expect(isPayload(vm.runInContext('new Uint8Array(4)', realm))).toBe(true);
      expect(isPayload(vm.runInContext('new ArrayBuffer(4)', realm))).toBe(true);
    });
  });

  describe('for anything else', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
      ['NaN', NaN],
      ['a bigint', 42n],
      ['a boolean', true],
      ['a plain object', { data: 'hello' }],
      ['an object that looks like a buffer', { byteLength: 4, buffer: new ArrayBuffer(4) }],
      ['an array of bytes', [1, 2, 3]],
      ['a Map', new Map()],
      ['a function', () => 'hello'],
      ['a symbol', Symbol('hello')],
    ])('rejects %s', (_, value) => {
      expect(isPayload(value)).toBe(false);
    });
  });
});

describe('on a platform without Blob (an older Node, a worker without it)', () => {
  const { Blob: platformBlob } = globalThis;
  beforeEach(() => {
    Reflect.deleteProperty(globalThis, 'Blob');
  });
  afterEach(() => {
    globalThis.Blob = platformBlob;
  });

  it('still tells payloads from other values, and counts them', () => {
    expect(isPayload({ size: 3 })).toBe(false);
    expect(isPayload(new Uint8Array(3))).toBe(true);
    expect(payloadByteLength(new ArrayBuffer(3))).toBe(3);
  });
});

describe('isPayload, for an object that only names an ArrayBuffer in its tag', () => {
  it('is not fooled by a tag that ends like one', () => {
    const impostor = { [Symbol.toStringTag]: 'Impostor] [object ArrayBuffer', byteLength: 4 };
    expect(Object.prototype.toString.call(impostor)).toBe('[object Impostor] [object ArrayBuffer]');
    expect(isPayload(impostor)).toBe(false);
  });
});

describe('isPayload, for an object whose tag only starts like an ArrayBuffer', () => {
  it('is not fooled by a tag that begins like one', () => {
    const impostor = { [Symbol.toStringTag]: 'ArrayBuffer] [object Impostor', byteLength: 4 };
    expect(Object.prototype.toString.call(impostor)).toBe('[object ArrayBuffer] [object Impostor]');
    expect(isPayload(impostor)).toBe(false);
  });
});

describe('payloadByteLength', () => {
  it('counts strings in UTF-8 bytes', () => {
    expect(payloadByteLength('')).toBe(0);
    expect(payloadByteLength('hello')).toBe(5);
    expect(payloadByteLength('héllo')).toBe(6);
    expect(payloadByteLength('€😀')).toBe(7);
  });

  it('counts buffers by their byteLength', () => {
    expect(payloadByteLength(new ArrayBuffer(7))).toBe(7);
    expect(payloadByteLength(new SharedArrayBuffer(5))).toBe(5);
    expect(payloadByteLength(new Uint16Array(3))).toBe(6);
    expect(payloadByteLength(new Float64Array(2))).toBe(16);
  });

  it('counts only the bytes a view covers, not its whole buffer', () => {
    const buffer = new ArrayBuffer(10);
    expect(payloadByteLength(new Uint8Array(buffer, 2, 3))).toBe(3);
    expect(payloadByteLength(new DataView(buffer, 1, 4))).toBe(4);
  });

  it('counts a Blob by its size', () => {
    expect(payloadByteLength(new Blob(['héllo']))).toBe(6);
    expect(payloadByteLength(new Blob([new Uint8Array(3), 'ab']))).toBe(5);
  });
});

describe('describeNonPayload', () => {
  it('names what it was given, for error messages', () => {
    expect(describeNonPayload(null)).toBe('null');
    expect(describeNonPayload(42)).toBe('a number');
    expect(describeNonPayload(true)).toBe('a boolean');
    expect(describeNonPayload(undefined)).toContain('undefined');
    expect(describeNonPayload({})).toBe('an object (Object)');
    expect(describeNonPayload(new Map())).toBe('an object (Map)');
    expect(describeNonPayload([1])).toBe('an object (Array)');
    expect(describeNonPayload(Object.create(null))).toBe('an object (no prototype)');
  });
});
