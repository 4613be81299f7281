/**
 * The benchmark server, run in its own process so that it is never the bottleneck. A hand-written WebSocket
 * endpoint on 127.0.0.1: after the upgrade it writes pre-framed text frames straight to the TCP socket and reads
 * client frames with a header-only parser (no unmasking unless it has to echo).
 *
 * Paths (the query gives the counts):
 * - `/flood?n=N`: writes N small JSON text frames as fast as the socket takes them.
 * - `/sink?n=N`: counts the client's data frames; after the N-th it sends one text frame, `{"received":N}`.
 * - `/echo`: sends every data frame back, unmasked.
 * - `/idle`: does nothing but answer the closing handshake.
 *
 * Every path answers a close frame with a close frame and ends the TCP connection.
 * Started by the bench runner (bench/run.ts) as a child process: it reports `{ port }` over IPC and exits when
 * the runner disconnects or sends `'stop'`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { receiveMessage, sampleMessage } from './messages';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Frames per pre-built block of the flood. */
const FLOOD_BLOCK_FRAMES = 1_000;

/** An unmasked server-to-client frame. */
export function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65_536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : (() => {
            const h = Buffer.alloc(10);
            h[0] = 0x80 | opcode;
            h[1] = 127;
            h.writeBigUInt64BE(BigInt(length), 2);
            return h;
          })();
  return Buffer.concat([header, payload]);
}

const textFrame = (text: string): Buffer => frame(0x1, Buffer.from(text, 'utf8'));

/** FLOOD_BLOCK_FRAMES distinct messages, framed and concatenated once for the whole run. */
const floodBlock = Buffer.concat(Array.from({ length: FLOOD_BLOCK_FRAMES }, (_, i) => textFrame(receiveMessage(i))));

interface FrameHandlers {
  /** A data frame (text, binary or continuation); `payload` is only unmasked when `wantPayload` is set. */
  data(opcode: number, payload: Buffer | undefined): void;
  close(payload: Buffer): void;
}

/** Wraps a reader so that bytes of skipped payloads split across chunks are dropped first. */
function skippingReader(wantPayload: boolean, handlers: FrameHandlers): (chunk: Buffer) => void {
  let skipRemaining = 0;
  const read = frameReaderWithSkip(wantPayload, handlers, (bytes) => (skipRemaining = bytes));
  return (chunk) => {
    if (skipRemaining > 0) {
      if (chunk.length <= skipRemaining) {
        skipRemaining -= chunk.length;
        return;
      }
      chunk = chunk.subarray(skipRemaining);
      skipRemaining = 0;
    }
    read(chunk);
  };
}

/**
 * Reads masked client frames from a byte stream that may split them anywhere. Data payloads are skipped without a
 * copy unless `wantPayload`; control frames (at most 125 bytes) are always read whole. `skipNext` is told how many
 * bytes of a skipped payload are still to come.
 */
function frameReaderWithSkip(
  wantPayload: boolean,
  handlers: FrameHandlers,
  skipNext: (bytes: number) => void,
): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    const buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    let offset = 0;
    while (buffer.length - offset >= 2) {
      const first = buffer[offset]!;
      const second = buffer[offset + 1]!;
      const opcode = first & 0x0f;
      const masked = (second & 0x80) !== 0;
      let length = second & 0x7f;
      let headerLength = 2;
      if (length === 126) {
        if (buffer.length - offset < 4) break;
        length = buffer.readUInt16BE(offset + 2);
        headerLength = 4;
      } else if (length === 127) {
        if (buffer.length - offset < 10) break;
        length = Number(buffer.readBigUInt64BE(offset + 2));
        headerLength = 10;
      }
      const maskOffset = offset + headerLength;
      const payloadOffset = maskOffset + (masked ? 4 : 0);
      const end = payloadOffset + length;
      const readWhole = opcode >= 0x8 || wantPayload;
      if (end > buffer.length) {
        if (readWhole || payloadOffset > buffer.length) break;
        // A data frame whose payload is skipped: count it now and drop the bytes still to come.
        handlers.data(opcode, undefined);
        skipNext(end - buffer.length);
        return;
      }
      if (readWhole) {
        const payload = Buffer.from(buffer.subarray(payloadOffset, end));
        if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffer[maskOffset + (i & 3)]!;
        if (opcode === 0x8) handlers.close(payload);
        else if (opcode < 0x8) handlers.data(opcode, payload);
        // Pings and pongs are no part of any workload: ignored.
      } else {
        handlers.data(opcode, undefined);
      }
      offset = end;
    }
    if (offset < buffer.length) pending = Buffer.from(buffer.subarray(offset));
  };
}

function acceptKey(request: IncomingMessage): string | undefined {
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string') return undefined;
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
}

function countParam(url: URL, name: string): number {
  const value = Number(url.searchParams.get(name));
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** Writes `frames` flood frames, waiting for 'drain' whenever the socket's buffer is full. */
function flood(socket: Socket, frames: number): void {
  let left = frames;
  const writeSome = (): void => {
    while (left > 0 && !socket.destroyed) {
      const count = Math.min(left, FLOOD_BLOCK_FRAMES);
      left -= count;
      const chunk = count === FLOOD_BLOCK_FRAMES ? floodBlock : floodPrefix(count);
      if (!socket.write(chunk)) {
        socket.once('drain', writeSome);
        return;
      }
    }
  };
  writeSome();
}

/** The first `count` frames of the flood block. */
function floodPrefix(count: number): Buffer {
  let offset = 0;
  for (let i = 0; i < count; i++) offset += 2 + floodBlock[offset + 1]!;
  return floodBlock.subarray(0, offset);
}

function handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
  const accept = acceptKey(request);
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (accept === undefined || request.headers.upgrade?.toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let closing = false;
  const onClose = (payload: Buffer): void => {
    if (closing) return;
    closing = true;
    // Echo the code (the first two bytes) back, as RFC 6455 asks, then end the TCP connection.
    socket.end(frame(0x8, payload.subarray(0, 2)));
  };
  const path = url.pathname;
  let handlers: FrameHandlers;
  let wantPayload = false;
  if (path === '/sink') {
    const expected = countParam(url, 'n');
    let received = 0;
    handlers = {
      data: () => {
        received++;
        if (received === expected && !closing) socket.write(textFrame(`{"received":${received}}`));
      },
      close: onClose,
    };
  } else if (path === '/echo') {
    wantPayload = true;
    handlers = {
      data: (opcode, payload) => {
        if (!closing && payload) socket.write(frame(opcode, payload));
      },
      close: onClose,
    };
  } else {
    handlers = { data: () => {}, close: onClose };
  }
  const read = skippingReader(wantPayload, handlers);
  socket.on('data', read);
  if (head.length > 0) read(head);
  if (path === '/flood') flood(socket, countParam(url, 'n'));
}

function main(): void {
  const server = createServer((_, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
  });
  server.on('upgrade', handleUpgrade);
  server.listen({ host: '127.0.0.1', port: 0, backlog: 4_096 }, () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ port, sample: sampleMessage() });
  });
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.on('disconnect', stop);
  process.on('message', (message) => {
    if (message === 'stop') stop();
  });
}

main();
