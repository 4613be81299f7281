import { answerRequests, createWebSocketDouble, type WebSocketServerDouble } from '../../lib/testing/index';
import { newScheduler } from '../helpers/virtual-time';

/**
 * The server double answering requests on its own: what it takes for a request, what it answers, when, and what it
 * records. The client here is the double's bare WebSocket, so that every frame is exactly what the spec sends.
 */

const URL = 'wss://feed.example/ws';

/** A client on `server`: what it received, as text with its time. */
function client(server: WebSocketServerDouble) {
  const socket = new server.WebSocketCtor(URL);
  const got: string[] = [];
  socket.onmessage = (event) =>
    void got.push(`${server.scheduler.now()} ${typeof event.data === 'string' ? event.data : 'binary'}`);
  return { socket, got };
}

describe('answerRequests', () => {
  describe('by the reference protocol (no options)', () => {
    it('answers a request with its data echoed, in the frame it was sent, on every connection', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const first = client(server);
        const answerer = answerRequests(server);
        const second = client(server);
        server.scheduler.schedule(() => {
          first.socket.send(JSON.stringify({ type: 'request', id: 'a', data: { n: 1 } }));
          second.socket.send(new TextEncoder().encode(JSON.stringify({ type: 'request', id: 'b' })));
        }, 5);
        flush();
        expect(first.got).toEqual(['5 {"type":"reply","id":"a","data":{"n":1}}']);
        expect(second.got).toEqual(['5 {"type":"reply","id":"b"}']);
        expect(answerer.received).toEqual([
          { id: 'a', connection: 0, time: 5, repeat: false },
          { id: 'b', connection: 1, time: 5, repeat: false },
        ]);
      });
    });

    it('takes for a request only an object of type "request" with a string id: other JSON, text and Blobs are left alone', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const { socket, got } = client(server);
        const answerer = answerRequests(server);
        server.scheduler.schedule(() => {
          for (const frame of [
            'null',
            '42',
            '"request"',
            '[1]',
            'not json',
            JSON.stringify({ type: 'reply', id: 'x' }),
            JSON.stringify({ type: 'request', id: 7 }),
            JSON.stringify({ id: 'y' }),
          ])
            socket.send(frame);
          socket.send(new Blob(['{"type":"request","id":"z"}']));
        }, 5);
        flush();
        expect(got).toEqual([]);
        expect(answerer.received).toEqual([]);
      });
    });
  });

  it('answers after delayMs, and not at all when the connection ended before the reply was due', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true });
      const answerer = answerRequests(server, { delayMs: 10 });
      const kept = client(server);
      const closedByClient = client(server);
      const droppedByServer = client(server);
      server.scheduler.schedule(() => {
        for (const [n, { socket }] of [kept, closedByClient, droppedByServer].entries())
          socket.send(JSON.stringify({ type: 'request', id: `r${n}` }));
      }, 5);
      server.scheduler.schedule(() => {
        closedByClient.socket.close();
        server.connection(2).drop();
      }, 8);
      flush();
      expect(kept.got).toEqual(['15 {"type":"reply","id":"r0"}']);
      expect(closedByClient.got).toEqual([]);
      expect(droppedByServer.got).toEqual([]);
      // Received all the same: the server ran each request.
      expect(answerer.received.map((request) => request.id)).toEqual(['r0', 'r1', 'r2']);
      expect(answerer.runs('r1')).toBe(1);
    });
  });

  it('loses a reply when the server ends the connection in the frame it was due, before it', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true });
      const { socket, got } = client(server);
      const closes: number[] = [];
      socket.onclose = (event) => void closes.push(event.code);
      server.scheduler.schedule(() => {
        socket.send(JSON.stringify({ type: 'request', id: 'late' }));
        server.latest.close(4000);
      }, 5);
      answerRequests(server, { delayMs: 0 });
      flush();
      expect(got).toEqual([]);
      expect(closes).toEqual([4000]);
    });
  });

  it('answers a repeated id from the reply it stored, without running reply again; remember: false runs each copy', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true });
      let made = 0;
      const reply = (_message: unknown, id: string) => ({ type: 'reply', id, made: ++made });
      const remembering = answerRequests(server, { reply });
      const { socket, got } = client(server);
      server.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'request', id: 'a' })), 5);
      server.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'request', id: 'a' })), 6);
      flush();
      expect(got).toEqual(['5 {"type":"reply","id":"a","made":1}', '6 {"type":"reply","id":"a","made":1}']);
      expect(remembering.runs('a')).toBe(1);
      expect(remembering.runs('never')).toBe(0);
      expect(remembering.received.map((request) => request.repeat)).toEqual([false, true]);
      remembering.unsubscribe();

      const forgetting = answerRequests(server, { reply, remember: false });
      server.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'request', id: 'a' })), 1);
      server.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'request', id: 'a' })), 2);
      flush();
      expect(got.slice(2)).toEqual(['7 {"type":"reply","id":"a","made":2}', '8 {"type":"reply","id":"a","made":3}']);
      expect(forgetting.runs('a')).toBe(2);
      expect(forgetting.received.map((request) => request.repeat)).toEqual([false, false]);
    });
  });

  it('leaves a request unanswered when reply gives undefined (and answers its repeat once reply gives one)', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true });
      let calls = 0;
      const answerer = answerRequests(server, {
        reply: (_message, id) => (++calls === 1 ? undefined : { type: 'reply', id }),
      });
      const { socket, got } = client(server);
      server.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'request', id: 'a' })), 5);
      server.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'request', id: 'a' })), 6);
      flush();
      expect(got).toEqual(['6 {"type":"reply","id":"a"}']);
      expect(answerer.runs('a')).toBe(2);
    });
  });

  it('takes requests by the requestId given, and passes reply the message, its id and its connection', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble<unknown, { ask?: string }>({ autoOpen: true });
      const seen: [unknown, string, number][] = [];
      answerRequests(server, {
        requestId: (message) => message.ask,
        reply: (message, id, connection) => {
          seen.push([message, id, connection.index]);
          return { answer: id };
        },
      });
      const { socket, got } = client(server);
      server.scheduler.schedule(() => {
        socket.send(JSON.stringify({ ask: 'q1' }));
        socket.send(JSON.stringify({ type: 'request', id: 'not-this-form' }));
      }, 5);
      flush();
      expect(got).toEqual(['5 {"answer":"q1"}']);
      expect(seen).toEqual([[{ ask: 'q1' }, 'q1', 0]]);
    });
  });

  it('stops answering, on every connection, once unsubscribed; a request still waiting for its delay is not run', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true });
      const answerer = answerRequests(server, { delayMs: 10 });
      const { socket, got } = client(server);
      server.scheduler.schedule(() => socket.send(JSON.stringify({ type: 'request', id: 'due' })), 5);
      server.scheduler.schedule(() => answerer.unsubscribe(), 8);
      let late: ReturnType<typeof client> | undefined;
      server.scheduler.schedule(() => {
        socket.send(JSON.stringify({ type: 'request', id: 'after' }));
        late = client(server);
        late.socket.onopen = () => late?.socket.send(JSON.stringify({ type: 'request', id: 'new connection' }));
      }, 9);
      flush();
      expect(got).toEqual([]);
      expect(late?.got).toEqual([]);
      expect(server.connections).toHaveLength(2);
      expect(server.connection(1).sent).toHaveLength(1);
      expect(answerer.received).toEqual([]);
      expect(answerer.runs('due')).toBe(0);
    });
  });
});
