import { fromWebSocket } from '../../lib/index';

/**
 * `fromWebSocket(url, protocols)` with no options: the platform's WebSocket (here a recording stand-in for
 * `isomorphic-ws`) is offered the sub-protocols given in second place, whatever their form.
 */
const offered: unknown[] = [];

jest.mock('isomorphic-ws', () => {
  class Recording {
    readyState = 0;
    binaryType = 'blob';
    onopen = null;
    onmessage = null;
    onerror = null;
    onclose = null;
    constructor(_url: string, protocols?: unknown) {
      offered.push(protocols);
    }
    send(): void {}
    close(): void {
      this.readyState = 3;
    }
  }
  return { __esModule: true, default: Recording };
});

describe('fromWebSocket(url, protocols) without options', () => {
  beforeEach(() => (offered.length = 0));

  it.each([
    ['one, as a string', 'chat.v2', 'chat.v2'],
    ['several, as a list', ['chat.v2', 'chat.v1'], ['chat.v2', 'chat.v1']],
    ['a provider', () => 'chat.v3', 'chat.v3'],
  ])('offers the sub-protocols given second: %s', async (_, protocols, expected) => {
    const socket = fromWebSocket('wss://feed.example/ws', protocols);
    socket.connect();
    // A provider is asked, and the socket made, once its answer is in.
    await Promise.resolve();
    await Promise.resolve();
    socket.close();
    expect(offered).toEqual([expected]);
  });
});
