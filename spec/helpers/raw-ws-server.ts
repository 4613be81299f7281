import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A WebSocket server written by hand on 127.0.0.1, for the server misbehaviour a real server library refuses to
 * produce: any HTTP status instead of the upgrade, or any bytes (an illegal close code, a broken frame) after it.
 */
export interface RawServer {
  readonly url: string;
  readonly port: number;
  /** Upgrade requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** What to do with upgrade request number `attempt` (from 1): refuse it with an HTTP status, or accept it. */
export type RawAnswer = { readonly status: number } | { readonly accept: (connection: RawConnection) => void };

export interface RawConnection {
  readonly socket: Socket;
  readonly request: IncomingMessage;
  /** Frames the client sent, unmasked, in order. */
  readonly frames: ClientFrame[];
  /** Resolves with the first close frame the client sends (its code, or undefined when it has none). */
  readonly clientClose: Promise<{ code: number | undefined; reason: string }>;
}

export interface ClientFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export async function startRawServer(
  answer: (request: IncomingMessage, attempt: number) => RawAnswer,
): Promise<RawServer> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const http = createServer((_request, response) => response.writeHead(426).end());
  http.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    requests++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decision = answer(request, requests);
    if ('status' in decision) {
      socket.end(`HTTP/1.1 ${decision.status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const key = String(request.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1')
      .update(key + ACCEPT_GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const frames: ClientFrame[] = [];
    let resolveClose: (close: { code: number | undefined; reason: string }) => void = () => {};
    const clientClose = new Promise<{ code: number | undefined; reason: string }>(
      (resolve) => (resolveClose = resolve),
    );
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseClientFrame(buffered);
        if (parsed === undefined) break;
        buffered = buffered.subarray(parsed.size);
        frames.push(parsed.frame);
        if (parsed.frame.opcode === 0x8) {
          const { payload } = parsed.frame;
          resolveClose({
            code: payload.length >= 2 ? payload.readUInt16BE(0) : undefined,
            reason: payload.subarray(2).toString(),
          });
          // A server answers the client's close by closing the TCP connection.
          socket.end();
        }
      }
    });
    decision.accept({ socket, request, frames, clientClose });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** A server-to-client frame (unmasked, final). */
export function serverFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) header = Buffer.from([0x80 | opcode, length]);
  else if (length < 65_536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/** A close frame carrying `code` as it is, legal or not. */
export function closeFrame(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return serverFrame(0x8, payload);
}

export function textFrame(text: string): Buffer {
  return serverFrame(0x1, Buffer.from(text));
}

function parseClientFrame(buffer: Buffer): { frame: ClientFrame; size: number } | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = (buffer[0] as number) & 0x0f;
  const masked = ((buffer[1] as number) & 0x80) !== 0;
  let length = (buffer[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskOffset = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (masked)
    for (let i = 0; i < payload.length; i++)
      payload[i] = (payload[i] as number) ^ (buffer[maskOffset + (i % 4)] as number);
  return { frame: { opcode, payload }, size: offset + length };
}
