import { asyncScheduler, of } from 'rxjs';
import {
  createWebSocketDouble,
  type ServerAction,
  type SocketDouble,
  type SocketEventDouble,
  type WebSocketDoubleOptions,
  type WebSocketServerDouble,
} from '../../lib/testing/index';
import { newScheduler } from '../helpers/virtual-time';

/**
 * The server side of one connection of the double, at its edges: what it does once the client has hung up, the
 * checks of what a spec asks of it (and the messages that say what is wrong), and the data it hands over.
 */

const URL = 'wss://feed.example/ws';

/** A socket on a new double, and every event it fired as text: `<time> <type> <readyState> <detail>`. */
function connect(options: WebSocketDoubleOptions = {}, protocols?: string | string[]) {
  const server: WebSocketServerDouble = createWebSocketDouble(options);
  const socket: SocketDouble = new server.WebSocketCtor(URL, protocols);
  const events: string[] = [];
  const raw: SocketEventDouble[] = [];
  const note = (event: SocketEventDouble): void => {
    raw.push(event);
    const detail =
      event.type === 'message'
        ? typeof event.data === 'string'
          ? JSON.stringify(event.data)
          : (event.data as object).constructor.name
        : event.type === 'close'
          ? `${event.code} ${JSON.stringify(event.reason)} ${event.wasClean ? 'clean' : 'unclean'}`
          : event.type === 'error'
            ? (event.message ?? '(no detail)')
            : '';
    events.push(`${server.scheduler.now()} ${event.type} ${socket.readyState} ${detail}`.trimEnd());
  };
  socket.onopen = note;
  socket.onmessage = note;
  socket.onerror = note;
  socket.onclose = note;
  return { server, socket, events, raw, connection: server.latest };
}

/** Runs `work` in virtual time, flushing after it; `at` runs a task at a virtual time. */
function virtual(work: (at: (time: number, task: () => void) => void) => void): void {
  newScheduler().run(({ flush }) => {
    work((time, task) => void asyncScheduler.schedule(task, time));
    flush();
  });
}

describe('a connection of the server double', () => {
  describe('once the client has hung up', () => {
    it('ignores a message, an error and a refusal from the server, and opens no socket the client gave up', () => {
      virtual((at) => {
        const open = connect({ holdClose: true });
        at(1, () => open.connection.open());
        at(2, () => {
          open.socket.close(4000, 'bye');
          open.connection.message('late');
          open.connection.error('late');
          open.connection.open();
        });
        const aborted = connect();
        at(1, () => {
          aborted.connection.open();
          // Closed in the frame the server opened it, before the open reached it: it never opens.
          aborted.socket.close();
          aborted.connection.message('never');
        });
        const refusedLate = connect();
        at(1, () => {
          refusedLate.socket.close();
          refusedLate.connection.refuse({ status: 503 });
          refusedLate.connection.message('never');
        });
        at(10, () => {
          expect(open.events).toEqual(['1 open 1']);
          expect(open.socket.readyState).toBe(2);
          expect(aborted.events).toEqual(['1 error 3 (no detail)', '1 close 3 1006 "" unclean']);
          expect(refusedLate.events).toEqual(['1 error 3 (no detail)', '1 close 3 1006 "" unclean']);
        });
      });
    });

    it('drops a message it sent that had not reached the client when it closed', () => {
      virtual((at) => {
        const { socket, connection, events } = connect({ autoOpen: true });
        at(1, () => {
          connection.message('in flight');
          socket.close();
        });
        at(5, () => expect(events).toEqual(['0 open 1', '1 close 3 1005 "" clean']));
      });
    });

    it("answers the client's close, held, with the code and reason the client gave, or its own", () => {
      virtual((at) => {
        const echoed = connect({ holdClose: true, autoOpen: true });
        const answered = connect({ holdClose: true, autoOpen: true });
        at(1, () => {
          echoed.socket.close(4000, 'bye');
          answered.socket.close(4000, 'bye');
        });
        at(3, () => {
          echoed.connection.close();
          answered.connection.close(4001);
        });
        at(5, () => {
          expect(echoed.events).toEqual(['0 open 1', '3 close 3 4000 "bye" clean']);
          expect(answered.events).toEqual(['0 open 1', '3 close 3 4001 "bye" clean']);
        });
      });
    });

    it('drops a held close when the server cuts the connection instead of answering', () => {
      virtual((at) => {
        const { socket, connection, events } = connect({ holdClose: true, autoOpen: true });
        at(1, () => socket.close(4000, 'bye'));
        at(3, () => connection.drop());
        at(4, () => connection.drop());
        at(5, () => expect(events).toEqual(['0 open 1', '3 error 3 (no detail)', '3 close 3 1006 "" unclean']));
      });
    });
  });

  describe('closing from the server', () => {
    it('reads the close frame first: the socket is CLOSING until the close event, which fires in a task of its own', () => {
      virtual((at) => {
        const { socket, connection, events } = connect({ autoOpen: true });
        const seen: string[] = [];
        at(1, () => {
          connection.close(4000, 'bye');
          asyncScheduler.schedule(() => {
            seen.push(`readyState ${socket.readyState}`);
            // A browser discards a send once closing has begun, and a close() then does nothing.
            socket.send('discarded');
            socket.close(4001);
          });
        });
        at(2, () => {
          expect(seen).toEqual(['readyState 2']);
          expect(events).toEqual(['0 open 1', '1 close 3 4000 "bye" clean']);
          expect(connection.sent).toEqual([]);
          expect(connection.clientClose).toBeUndefined();
        });
      });
    });

    it('without a close frame (a drop, 1006, 1015), goes from OPEN to CLOSED at once', () => {
      virtual((at) => {
        const cases = [
          ['drop', (c: ReturnType<typeof connect>) => c.connection.drop()],
          ['1006', (c: ReturnType<typeof connect>) => c.connection.close(1006)],
          ['1015', (c: ReturnType<typeof connect>) => c.connection.close(1015)],
        ] as const;
        const seen: string[] = [];
        for (const [name, end] of cases) {
          const made = connect({ autoOpen: true });
          at(1, () => {
            end(made);
            asyncScheduler.schedule(() => seen.push(`${name} ${made.socket.readyState}`));
          });
        }
        at(2, () => expect(seen).toEqual(['drop 3', '1006 3', '1015 3']));
      });
    });
  });

  describe('fires each event once', () => {
    it('a refusal and the client giving up in the same frame close the socket once', () => {
      virtual((at) => {
        const { socket, connection, events } = connect();
        at(1, () => {
          connection.refuse({ status: 503 });
          socket.close();
        });
        at(5, () => {
          expect(events).toEqual(['1 error 3 Unexpected server response: 503', '1 close 3 1006 "" unclean']);
          expect(connection.closedWith).toEqual({ code: 1006, reason: '', wasClean: false });
        });
      });
    });

    it('an error without detail carries nothing, as a browser’s does', () => {
      virtual((at) => {
        const { connection, raw } = connect({ autoOpen: true });
        at(1, () => connection.error());
        at(2, () => connection.error('with detail'));
        at(5, () => {
          const [, bare, detailed] = raw;
          expect(bare).toEqual({ type: 'error' });
          expect(bare && 'error' in bare).toBe(false);
          expect(detailed).toMatchObject({ type: 'error', message: 'with detail', error: new Error('with detail') });
        });
      });
    });
  });

  describe('says what is wrong when a spec asks what the connection cannot do', () => {
    it('after the server ended it, naming how it ended', () => {
      virtual((at) => {
        const closed = connect({ autoOpen: true });
        const dropped = connect({ autoOpen: true });
        const refused = connect();
        const failed = connect({}, ['a']);
        at(1, () => {
          closed.connection.close(4000);
          dropped.connection.drop();
          refused.connection.refuse();
          failed.connection.open({ protocol: 'x' });
        });
        at(2, () => {
          const name = (index: number) => `connection #${index} to ${URL}`;
          expect(() => closed.connection.drop()).toThrow(
            `${name(0)}: cannot drop(): the server already ended it with close(4000)`,
          );
          expect(() => closed.connection.error()).toThrow(
            `${name(0)}: cannot error(): the server already ended it with close(4000)`,
          );
          expect(() => dropped.connection.close()).toThrow(
            `${name(0)}: cannot close(1005): the server already ended it with drop()`,
          );
          expect(() => refused.connection.open()).toThrow(
            `${name(0)}: cannot open(): the server already ended it with refuse()`,
          );
          expect(() => failed.connection.open()).toThrow(
            `${name(0)}: cannot open(): the server already ended it with open({ protocol: "x" }), which failed the handshake`,
          );
        });
      });
    });

    it('an open choosing a sub-protocol the client did not offer, or none of those it offered, fails the handshake', () => {
      virtual((at) => {
        const none = connect({}, ['a', 'b']);
        const other = connect({}, ['a', 'b']);
        const unoffered = connect();
        at(1, () => {
          none.connection.open({ protocol: '' });
          other.connection.open({ protocol: 'c' });
          unoffered.connection.open({ protocol: 'a' });
        });
        at(2, () => {
          expect(none.events[0]).toBe('1 error 3 the server chose no subprotocol, but the client offered a, b');
          expect(other.events[0]).toBe(
            '1 error 3 the server chose subprotocol "c", which the client did not offer (a, b)',
          );
          expect(unoffered.events[0]).toBe('1 error 3 the server chose subprotocol "a", but the client offered none');
        });
      });
    });

    it('a refusal with a status that does not refuse an upgrade', () => {
      virtual((at) => {
        at(1, () => {
          for (const status of [99, 101, 600, 404.5]) {
            const { connection } = connect();
            expect(() => connection.refuse({ status })).toThrow(
              new RangeError(
                `connection #0 to ${URL}: refuse(): ${status} is not an HTTP status that refuses an upgrade`,
              ),
            );
          }
          for (const status of [100, 426, 599]) expect(() => connect().connection.refuse({ status })).not.toThrow();
        });
      });
    });

    it('a close code a server cannot send, and a reason over 123 bytes; 1015 is simulated, not clean', () => {
      virtual((at) => {
        const tls = connect({ autoOpen: true });
        const longest = connect({ autoOpen: true });
        at(1, () => {
          const { connection } = connect({ autoOpen: true });
          expect(() => connection.close(1004)).toThrow('a server cannot send that code');
          expect(() => connection.close(4000, 'x'.repeat(124))).toThrow(
            'the reason is 124 UTF-8 bytes long; the limit is 123',
          );
          tls.connection.close(1015);
          longest.connection.close(4000, 'x'.repeat(123));
        });
        at(2, () => {
          expect(tls.events.at(-1)).toBe('1 close 3 1015 "" unclean');
          expect(longest.events.at(-1)).toBe(`1 close 3 4000 "${'x'.repeat(123)}" clean`);
        });
      });
    });

    it('a value that has no JSON form, or is no message', () => {
      virtual((at) => {
        const { connection } = connect({ autoOpen: true });
        at(1, () => {
          expect(() => connection.messageJson(undefined)).toThrow(
            new TypeError(`connection #0 to ${URL}: messageJson(): undefined has no JSON form`),
          );
          expect(() => connection.message(42 as unknown as string)).toThrow(
            new TypeError('message(): number is neither text, binary data nor a Blob'),
          );
        });
      });
    });

    it('a frame sentJson cannot read, its text cut after 60 characters', () => {
      virtual((at) => {
        const { socket, connection } = connect({ autoOpen: true });
        const sixty = 'y'.repeat(60);
        at(1, () => socket.send(new Blob(['{}'])));
        at(2, () =>
          expect(() => connection.sentJson()).toThrow(
            `connection #0 to ${URL}: sentJson(): frame 0 (sent at 1 ms) is a Blob, which cannot be read synchronously`,
          ),
        );
        const text = connect({ autoOpen: true });
        at(3, () => text.socket.send(sixty));
        at(4, () => expect(() => text.connection.sentJson()).toThrow(`is not JSON: "${sixty}"`));
        const longer = connect({ autoOpen: true });
        at(5, () => longer.socket.send(`${sixty}z`));
        at(6, () => expect(() => longer.connection.sentJson()).toThrow(`is not JSON: "${sixty}…"`));
      });
    });
  });

  describe('hands data over as a browser does', () => {
    it('a Blob to a socket whose binaryType is "blob", as that Blob', () => {
      virtual((at) => {
        const { connection, raw } = connect({ autoOpen: true });
        const blob = new Blob(['abc']);
        at(1, () => connection.message(blob));
        at(2, () => expect(raw.find((event) => event.type === 'message')).toMatchObject({ data: blob }));
      });
    });

    it("refuses a Blob that would reach the socket after its binaryType turned 'arraybuffer', naming the problem", () => {
      expect(() =>
        virtual((at) => {
          const { socket, connection } = connect({ autoOpen: true });
          // The delivery is the next task: it throws out of the run, as a misused double does.
          at(1, () => {
            connection.message(new Blob(['abc']));
            socket.binaryType = 'arraybuffer';
          });
        }),
      ).toThrow(
        `connection #0 to ${URL}: message(): the socket's binaryType is 'arraybuffer', and a Blob cannot be read synchronously in virtual time`,
      );
    });

    it('a SharedArrayBuffer, copied', () => {
      virtual((at) => {
        const { socket, connection, raw } = connect({ autoOpen: true });
        socket.binaryType = 'arraybuffer';
        const shared = new SharedArrayBuffer(2);
        new Uint8Array(shared).set([1, 2]);
        at(1, () => {
          connection.message(shared);
          new Uint8Array(shared).fill(0);
        });
        at(2, () => {
          const data = raw.find((event) => event.type === 'message')?.data as ArrayBuffer;
          expect([...new Uint8Array(data)]).toEqual([1, 2]);
        });
      });
    });

    it('bytes where the platform has no Blob', () => {
      const { Blob: saved } = globalThis;
      Reflect.deleteProperty(globalThis, 'Blob');
      try {
        virtual((at) => {
          const { socket, connection, raw } = connect({ autoOpen: true });
          socket.binaryType = 'arraybuffer';
          at(1, () => connection.message(new Uint8Array([7])));
          at(2, () => {
            const data = raw.find((event) => event.type === 'message')?.data as ArrayBuffer;
            expect([...new Uint8Array(data)]).toEqual([7]);
          });
        });
      } finally {
        globalThis.Blob = saved;
      }
    });
  });

  it('says what is wrong with a value that is no message where the platform has no SharedArrayBuffer', () => {
    const { SharedArrayBuffer: saved } = globalThis;
    Reflect.deleteProperty(globalThis, 'SharedArrayBuffer');
    try {
      virtual((at) => {
        const { connection } = connect({ autoOpen: true });
        at(1, () =>
          expect(() => connection.message(42 as unknown as string)).toThrow(
            'message(): number is neither text, binary data nor a Blob',
          ),
        );
      });
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
  });

  it('plays nothing once the socket has closed, whoever closed it', () => {
    newScheduler().run(({ cold, flush }) => {
      const byClient = connect({ autoOpen: true });
      const byServer = connect({ autoOpen: true });
      asyncScheduler.schedule(() => {
        byClient.socket.close();
        byServer.connection.close(4000);
      }, 1);
      const played: { closed: boolean }[] = [];
      asyncScheduler.schedule(() => {
        played.push(byClient.connection.play(cold('-a', { a: { message: 'after' } })));
        // Actions given at once, in the play() call itself.
        played.push(byServer.connection.play(of<ServerAction[]>({ message: 'after' }, 'drop')));
      }, 2);
      flush();
      expect(played.map((subscription) => subscription.closed)).toEqual([true, true]);
      expect(byClient.events).toEqual(['0 open 1', '1 close 3 1005 "" clean']);
      expect(byServer.events).toEqual(['0 open 1', '1 close 3 4000 "" clean']);
    });
  });
});
