import type { WebSocketPayload } from './events';
import { utf8ByteLength } from './utf8';

/**
 * A copy of a binary payload that the library owns, so that the application may reuse or transfer its buffer once
 * `send` has returned: an `ArrayBuffer` for an `ArrayBuffer` or `SharedArrayBuffer`, a `Uint8Array` of the same bytes
 * for a view. Strings and Blobs are immutable and stay as they are.
 */
export function ownCopy(payload: WebSocketPayload): WebSocketPayload {
  if (ArrayBuffer.isView(payload))
    return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength).slice();
  return isArrayBuffer(payload) ? new Uint8Array(payload).slice().buffer : payload;
}

/** Whether a WebSocket can send `value` as it is. */
export function isPayload(value: unknown): value is WebSocketPayload {
  return typeof value === 'string' || ArrayBuffer.isView(value) || isArrayBuffer(value) || isBlob(value);
}

/** The number of bytes `payload` puts on the wire (before framing), as `bufferedAmount` counts them. */
export function payloadByteLength(payload: WebSocketPayload): number {
  if (typeof payload === 'string') return utf8ByteLength(payload);
  // Views, ArrayBuffers and SharedArrayBuffers all have a byteLength.
  return isBlob(payload) ? payload.size : (payload as ArrayBufferLike).byteLength;
}

/** A short description of a value that is not a payload, for error messages. */
export function describeNonPayload(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return `a ${typeof value}`;
}

/** An ArrayBuffer or SharedArrayBuffer from any realm (an iframe's or a `vm` context's too, which `instanceof` misses). */
export function isArrayBuffer(value: unknown): value is ArrayBufferLike {
  return /^\[object (Shared)?ArrayBuffer]$/.test(Object.prototype.toString.call(value));
}

/** A Blob, where the platform has them. */
function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}
