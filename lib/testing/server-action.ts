import type { CloseOptions, ConnectionDouble, MessageData, OpenOptions, RefuseOptions } from './connection-double';

/**
 * One step of a server script, as a marble value: a word for the steps that need nothing more, or an object
 * naming the step and its argument.
 *
 * | action | does |
 * |---|---|
 * | `'open'`, `{ open: { protocol?, extensions? } }` | {@link ConnectionDouble.open} |
 * | `{ message: data }` | {@link ConnectionDouble.message} |
 * | `{ json: value }` | {@link ConnectionDouble.messageJson} |
 * | `'error'`, `{ error: 'detail' }` | {@link ConnectionDouble.error} |
 * | `'close'`, `{ close: 4000 }`, `{ close: { code?, reason?, wasClean? } }` | {@link ConnectionDouble.close} |
 * | `'drop'` | {@link ConnectionDouble.drop} |
 * | `'refuse'`, `{ refuse: { status?, message? } }` | {@link ConnectionDouble.refuse} |
 *
 * @example
 * const actions: Record<string, ServerAction<Tick>> = { o: 'open', a: { json: { price: 1 } }, x: { close: { code: 4401, reason: 'unauthorized' } } };
 * server.script(cold('-o-a--x', actions));
 */
export type ServerAction<In = unknown> =
  | 'open'
  | 'error'
  | 'close'
  | 'drop'
  | 'refuse'
  | {
      /** Accept the connection, optionally selecting a sub-protocol and extensions. */
      readonly open: true | OpenOptions;
    }
  | {
      /** Send a message: text, or binary data. */
      readonly message: MessageData;
    }
  | {
      /** Send a value as JSON text. */
      readonly json: In;
    }
  | {
      /** Fire an error event (it does not close), optionally with a message. */
      readonly error: true | string;
    }
  | {
      /** Close with a close frame: `true` for 1005 (no code), a code, or code, reason and `wasClean`. */
      readonly close: true | number | CloseOptions;
    }
  | {
      /** Cut the connection without a close frame (1006). */
      readonly drop: true;
    }
  | {
      /** Refuse the connection before it opens, optionally with an HTTP status. */
      readonly refuse: true | RefuseOptions;
    };

const STEPS = ['open', 'message', 'json', 'error', 'close', 'drop', 'refuse'] as const;

/** Performs `action` on `connection`; throws a TypeError naming the problem when it is not a {@link ServerAction}. */
export function applyAction<In>(connection: ConnectionDouble<In, unknown>, action: ServerAction<In>): void {
  switch (action) {
    case 'open':
      return connection.open();
    case 'error':
      return connection.error();
    case 'close':
      return connection.close();
    case 'drop':
      return connection.drop();
    case 'refuse':
      return connection.refuse();
  }
  const keys = typeof action === 'object' && action !== null ? Object.keys(action) : [];
  const step = keys.length === 1 ? STEPS.find((name) => name === keys[0]) : undefined;
  if (step === undefined) {
    throw new TypeError(
      `connection #${connection.index}: ${describe(action)} is not a server action; expected 'open', 'error', 'close', 'drop', 'refuse' or an object with one of the keys ${STEPS.join(', ')}`,
    );
  }
  const argument: unknown = (action as Record<string, unknown>)[step];
  const options = <T extends object>(): T | undefined => (argument === true ? undefined : (argument as T));
  switch (step) {
    case 'open':
      return connection.open(options<OpenOptions>());
    case 'message':
      return connection.message(argument as MessageData);
    case 'json':
      return connection.messageJson(argument as In);
    case 'error':
      return connection.error(argument === true ? undefined : (argument as string));
    case 'close': {
      if (typeof argument === 'number') return connection.close(argument);
      const { code, reason, wasClean } = options<CloseOptions>() ?? {};
      return connection.close(code, reason, wasClean);
    }
    case 'drop':
      return connection.drop();
    case 'refuse':
      return connection.refuse(options<RefuseOptions>());
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
