// Loaded into the example's server process (node --import) by the Angular spec: counts the timers still pending and
// the outgoing connections made, and prints them as one JSON line when a line arrives on standard input.
import net from 'node:net';

const pending = new Map();
let connections = 0;

for (const [set, clear] of [
  ['setTimeout', 'clearTimeout'],
  ['setInterval', 'clearInterval'],
]) {
  const original = globalThis[set];
  const originalClear = globalThis[clear];
  globalThis[set] = function (callback, ...rest) {
    const stack = (new Error().stack ?? '').split('\n').slice(2, 6).join(' | ');
    let handle;
    const wrapped =
      set === 'setTimeout'
        ? (...args) => {
            pending.delete(handle);
            return callback(...args);
          }
        : callback;
    handle = original.call(this, typeof callback === 'function' ? wrapped : callback, ...rest);
    pending.set(handle, `${set}(${rest[0] ?? 0}) at ${stack}`);
    return handle;
  };
  globalThis[clear] = function (handle) {
    pending.delete(handle);
    return originalClear.call(this, handle);
  };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  connections++;
  return connect.apply(this, args);
};

process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  // Timers whose handle was unref'ed keep nothing alive and are not the application's.
  const live = [...pending].filter(([handle]) => typeof handle !== 'object' || handle.hasRef?.() !== false);
  process.stdout.write(`${JSON.stringify({ pendingTimers: live.map(([, where]) => where), connections })}\n`);
});
