/**
 * The reference wire protocol (docs/protocol.md): JSON text frames, parsed and built here so that the server and
 * the specs agree on one contract. Nothing here depends on the library.
 */

/** A request id: a non-empty string or a safe integer, unique per request across every client of one history. */
export type RequestId = string | number;

/** What a client may send. */
export type ClientFrame =
  | { readonly type: 'subscribe'; readonly channel: string; readonly since?: string }
  | { readonly type: 'unsubscribe'; readonly channel: string }
  | { readonly type: 'request'; readonly id: RequestId; readonly data: unknown };

/** The error carried by a reply or an error frame: a stable `code` and a message for people. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

/** What the server sends. */
export type ServerFrame =
  | { readonly type: 'subscribed'; readonly channel: string; readonly recovered?: boolean }
  | { readonly type: 'unsubscribed'; readonly channel: string }
  | { readonly type: 'message'; readonly channel: string; readonly cursor: string; readonly data: unknown }
  | { readonly type: 'reply'; readonly id: RequestId; readonly data: unknown }
  | { readonly type: 'reply'; readonly id: RequestId; readonly error: ErrorBody }
  | { readonly type: 'error'; readonly channel: string; readonly code: string; readonly message: string };

/** Close codes the server uses, and why. */
export const CLOSE = {
  /** The server is shutting down (graceful stop). Clients reconnect, to another backend if there is one. */
  goingAway: 1001,
  /** A binary frame: the protocol is JSON text only. */
  unsupportedData: 1003,
  /** A text frame that is not one of the client frames above. Retrying the same bytes cannot help. */
  malformed: 1008,
  /** Frames larger than the server accepts (sent by `ws` itself). */
  tooBig: 1009,
  /** The history store failed (e.g. Redis unreachable). Clients reconnect and resume. */
  internalError: 1011,
  /** The client read too slowly and its backlog passed the bound. It reconnects and resumes from its cursor. */
  tryAgainLater: 1013,
} as const;

/** Longest channel name, `since` cursor and string request id accepted. */
export const LIMITS = { channel: 128, cursor: 64, requestId: 128 } as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isShortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/** A valid request id: a non-empty string of at most 128 characters, or a safe integer. */
export function isRequestId(value: unknown): value is RequestId {
  return isShortString(value, LIMITS.requestId) || Number.isSafeInteger(value);
}

/**
 * Reads one text frame; `undefined` when it is not a client frame (not JSON, not an object, an unknown `type`, a
 * field missing or of the wrong type). Unknown extra fields are ignored, so that clients can add their own.
 */
export function parseClientFrame(text: string): ClientFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'subscribe': {
      const { channel, since } = value;
      if (!isShortString(channel, LIMITS.channel)) return undefined;
      if (since === undefined) return { type: 'subscribe', channel };
      if (!isShortString(since, LIMITS.cursor)) return undefined;
      return { type: 'subscribe', channel, since };
    }
    case 'unsubscribe':
      return isShortString(value.channel, LIMITS.channel) ? { type: 'unsubscribe', channel: value.channel } : undefined;
    case 'request':
      if (!isRequestId(value.id) || !('data' in value)) return undefined;
      return { type: 'request', id: value.id, data: value.data };
    default:
      return undefined;
  }
}

/** The text of a `message` frame, made once per published entry and sent as is to every subscriber. */
export function messageFrame(channel: string, cursor: string, dataJson: string): string {
  return `{"type":"message","channel":${JSON.stringify(channel)},"cursor":${JSON.stringify(cursor)},"data":${dataJson}}`;
}

/** The text of any server frame. */
export function frameText(frame: ServerFrame): string {
  return JSON.stringify(frame);
}
