import { heartbeat, HeartbeatTimeoutError, InvalidOptionError } from 'rx-websocket';
import { resolveHeartbeat } from '../../../lib/features/heartbeat/heartbeat';

// What heartbeat() refuses, with the option named and the rule given, and the words of the error a death reports.

/** The InvalidOptionError `call` throws. */
function refusal(call: () => unknown): InvalidOptionError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('it did not throw');
}

describe('heartbeat() options', () => {
  it.each([null, 42, 'ping'])('refuses options that are %p, not an object', (options) => {
    const error = refusal(() => resolveHeartbeat(options as never));
    expect(error.option).toBe('heartbeat');
    expect(error.message).toContain('(an object)');
  });

  it.each([0, -1])('refuses a timeoutMs of %p: it must be above 0', (timeoutMs) => {
    expect(refusal(() => heartbeat({ timeoutMs })).option).toBe('heartbeat.timeoutMs');
  });

  it.each([42, true, {}, [1]])('refuses a ping of %p, neither a message nor a function', (ping) => {
    const error = refusal(() => heartbeat({ ping: ping as never }));
    expect(error.option).toBe('heartbeat.ping');
    expect(error.message).toContain('(a message to send, or a function making one)');
  });

  it.each(['ping', new ArrayBuffer(1), new Uint8Array(1), () => 'ping'])('takes a ping of %p', (ping) => {
    expect(() => heartbeat({ ping })).not.toThrow();
  });

  it.each(['yes', 1, null])('refuses an emitPongs of %p, not a boolean', (emitPongs) => {
    const error = refusal(() => heartbeat({ emitPongs: emitPongs as never }));
    expect(error.option).toBe('heartbeat.emitPongs');
    expect(error.message).toContain('(a boolean)');
  });

  it('refuses an isPong that is not a function, saying it must be one', () => {
    expect(refusal(() => heartbeat({ isPong: 'pong' as never })).message).toContain('(a function)');
  });
});

describe('HeartbeatTimeoutError', () => {
  it('says how long the connection was silent and how long the ping went unanswered', () => {
    const error = new HeartbeatTimeoutError(30_000, 10_000);
    expect(error.name).toBe('HeartbeatTimeoutError');
    expect(error.message).toBe('No traffic for 30000 ms, then no answer to a ping within 10000 ms');
    expect(String(error)).toBe(
      'HeartbeatTimeoutError: No traffic for 30000 ms, then no answer to a ping within 10000 ms',
    );
  });
});
