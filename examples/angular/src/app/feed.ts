/**
 * The application's sockets: one token each, typed by the wire protocol.
 *
 * - FEED: the dashboard's feed (examples/dashboard), with its channels.
 * - BURST: an optional second socket, opened only when the page is given `?burst=ws://...`; the end-to-end test
 *   points it at a server that sends a few hundred messages at once, to count the renders they cause.
 */
import { createWebSocketToken } from 'rx-websocket/angular';
import type { ClientMessage, ServerMessage } from '../../../dashboard/protocol';

export type { ClientMessage, HelloMessage, ServerMessage, TickMessage } from '../../../dashboard/protocol';
export { CHANNELS, PROTOCOL, SOCKET_PATH } from '../../../dashboard/protocol';

export const FEED = createWebSocketToken<ServerMessage, ClientMessage>('feed');

/** What the burst server sends. */
export interface BurstMessage {
  readonly n: number;
}
export const BURST = createWebSocketToken<BurstMessage, never>('burst');

/**
 * A query parameter of the page (`?ws=`, `?burst=`, `?fast=`), read when called: in the browser only, since the
 * sockets' URLs and options are read only where the sockets run.
 */
export function pageParam(name: string): string | null {
  return typeof location === 'undefined' ? null : new URLSearchParams(location.search).get(name);
}
