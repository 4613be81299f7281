/**
 * What a request can ask for: `data` is `{"op": <name>, ...arguments}`. The reference server has three operations;
 * an app passes its own (they are merged over these).
 */

/** Thrown by an operation to answer with `{"error":{"code","message"}}`; anything else thrown answers `internal`. */
export class RequestError extends Error {
  constructor(
    /** Stable, machine-readable: `unknown_op`, `bad_request`... */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** What an operation may use besides its arguments. */
export interface OperationContext {
  /** Adds one to a named counter, shared by every server on the same history; resolves with the new value. */
  increment(counter: string): Promise<number>;
}

/** An operation: resolves with the reply's `data` (JSON-serializable), or throws a {@link RequestError}. */
export type Operation = (args: Readonly<Record<string, unknown>>, context: OperationContext) => unknown;

/** The reference operations. */
export const BUILT_IN_OPERATIONS: Readonly<Record<string, Operation>> = {
  /** `{"op":"echo","value":V}` → `{"value":V}`. */
  echo: (args) => ({ value: args.value ?? null }),
  /** `{"op":"add","a":1,"b":2}` → `{"sum":3}`. */
  add: ({ a, b }) => {
    if (typeof a !== 'number' || typeof b !== 'number')
      throw new RequestError('bad_request', 'a and b must be numbers');
    return { sum: a + b };
  },
  /**
   * `{"op":"incr","counter":"name"}` → `{"value":n}`: has an effect, so running a repeated id twice would show (the
   * counter would move twice).
   */
  incr: async ({ counter }, context) => {
    if (typeof counter !== 'string' || counter.length === 0 || counter.length > 128) {
      throw new RequestError('bad_request', 'counter must be a non-empty string of at most 128 characters');
    }
    return { value: await context.increment(counter) };
  },
};
