/** An assertion as `new TestScheduler(assertDeepEqual)` takes it. */
export type FrameAssertion = (actual: unknown, expected: unknown) => boolean | void;

/**
 * Wraps a `TestScheduler` assertion so that a mismatch also prints both timelines line by line, one frame per
 * line, closes as `closeEvent(code, "reason", wasClean)` and errors with their class and message, marking the
 * lines that differ. Equality is still decided by `assertDeepEqual` alone; only its failure message grows.
 *
 * @example
 * const testScheduler = new TestScheduler(readableFrames((actual, expected) => expect(actual).toEqual(expected)));
 */
export function readableFrames(assertDeepEqual: FrameAssertion): FrameAssertion {
  return function assertFrames(actual, expected) {
    try {
      return assertDeepEqual(actual, expected);
    } catch (failure) {
      if (!Array.isArray(actual) || !Array.isArray(expected)) throw failure;
      const diff = diffLines(formatFrames(expected).split('\n'), formatFrames(actual).split('\n'));
      const detail = failure instanceof Error ? failure.message : String(failure);
      // The original failure is quoted rather than attached as `cause`, which some runners would print a second time.
      const error = new Error(`marble mismatch (- expected, + actual):\n${diff}\n\n${detail}`);
      error.name = 'MarbleMismatchError';
      // Point at the spec, where the original failure was raised, rather than at this wrapper.
      const frames =
        failure instanceof Error ? failure.stack?.split('\n').filter((line) => /^\s+at /.test(line)) : undefined;
      if (frames && frames.length > 0) error.stack = [`${error.name}: ${error.message}`, ...frames].join('\n');
      throw error;
    }
  };
}

/**
 * Frames of a marble run (the arrays `TestScheduler` compares) as text, one per line: `  1004ms  next      …`.
 * Subscription logs print as `subscribed 0ms, unsubscribed 5ms`; anything else as a value.
 */
export function formatFrames(frames: readonly unknown[]): string {
  if (frames.length === 0) return '  (nothing)';
  return frames.map(formatFrame).join('\n');
}

/** A value as one readable line: closes as `closeEvent(…)`, errors as `Name: message`, objects with their keys. */
export function formatValue(value: unknown): string {
  return describe(value, 0, new Set());
}

interface FrameLike {
  readonly frame: number;
  readonly notification: { readonly kind: string; readonly value?: unknown; readonly error?: unknown };
}

function formatFrame(item: unknown): string {
  if (isFrame(item)) {
    const at = `${item.frame}ms`.padStart(8);
    const { kind, value, error } = item.notification;
    if (kind === 'N') return `${at}  next      ${formatValue(value)}`;
    if (kind === 'E') return `${at}  error     ${formatValue(error)}`;
    if (kind === 'C') return `${at}  complete`;
  }
  if (isSubscriptionLog(item)) {
    const end = item.unsubscribedFrame === Infinity ? 'never unsubscribed' : `unsubscribed ${item.unsubscribedFrame}ms`;
    return `  subscribed ${item.subscribedFrame}ms, ${end}`;
  }
  return `  ${formatValue(item)}`;
}

function isFrame(item: unknown): item is FrameLike {
  const candidate = item as Partial<FrameLike> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.frame === 'number' &&
    typeof candidate.notification === 'object'
  );
}

function isSubscriptionLog(item: unknown): item is { subscribedFrame: number; unsubscribedFrame: number } {
  return (
    typeof item === 'object' &&
    item !== null &&
    typeof (item as { subscribedFrame?: unknown }).subscribedFrame === 'number'
  );
}

const MAX_DEPTH = 4;
const MAX_ITEMS = 16;

function describe(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'bigint':
      return `${value}n`;
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value === null) return 'null';
  if (seen.has(value)) return '[Circular]';
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (isCloseInfo(value)) return `closeEvent(${value.code}, ${JSON.stringify(value.reason)}, ${value.wasClean})`;
  if (value instanceof ArrayBuffer) return `ArrayBuffer ${bytes(new Uint8Array(value))}`;
  if (value instanceof DataView)
    return `DataView ${bytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))}`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name} ${bytes(value as unknown as ArrayLike<number | bigint>)}`;
  if (typeof Blob !== 'undefined' && value instanceof Blob) return `Blob(${value.size} bytes)`;
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[…]' : '{…}';
  seen.add(value);
  try {
    if (Array.isArray(value)) return `[${value.map((item) => describe(item, depth + 1, seen)).join(', ')}]`;
    if (value instanceof Map) {
      return `Map { ${[...value].map(([key, item]) => `${describe(key, depth + 1, seen)} => ${describe(item, depth + 1, seen)}`).join(', ')} }`;
    }
    if (value instanceof Set) return `Set { ${[...value].map((item) => describe(item, depth + 1, seen)).join(', ')} }`;
    const entries = Object.entries(value)
      // toEqual treats an undefined property as absent; so does this printout.
      .filter(([, item]) => item !== undefined)
      .map(
        ([key, item]) =>
          `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ${describe(item, depth + 1, seen)}`,
      );
    const name = value.constructor?.name;
    const prefix = name && name !== 'Object' ? `${name} ` : '';
    return entries.length === 0 ? `${prefix}{}` : `${prefix}{ ${entries.join(', ')} }`;
  } finally {
    seen.delete(value);
  }
}

/** Closes as `close$` reports them, and close events (whose `type` is 'close'). */
function isCloseInfo(value: object): value is { code: number; reason: string; wasClean: boolean } {
  const { code, reason, wasClean } = value as Record<string, unknown>;
  if (typeof code !== 'number' || typeof reason !== 'string' || typeof wasClean !== 'boolean') return false;
  return Object.keys(value).every(
    (key) =>
      key === 'code' ||
      key === 'reason' ||
      key === 'wasClean' ||
      (key === 'type' && (value as { type: unknown }).type === 'close'),
  );
}

/** The first elements of a typed array (bytes of a buffer), then how many more there are. */
function bytes(items: ArrayLike<number | bigint>): string {
  const shown = Array.from({ length: Math.min(items.length, MAX_ITEMS) }, (_, i) => String(items[i])).join(', ');
  return `[${shown}${items.length > MAX_ITEMS ? `, … ${items.length - MAX_ITEMS} more` : ''}]`;
}

/** A line diff by longest common subsequence: frames are few, so the quadratic table is cheap. */
function diffLines(expected: readonly string[], actual: readonly string[]): string {
  const rows = expected.length + 1;
  const columns = actual.length + 1;
  const common = new Array<number>(rows * columns).fill(0);
  const at = (i: number, j: number): number => common[i * columns + j] ?? 0;
  for (let i = expected.length - 1; i >= 0; i--) {
    for (let j = actual.length - 1; j >= 0; j--) {
      common[i * columns + j] = expected[i] === actual[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < expected.length || j < actual.length) {
    if (i < expected.length && j < actual.length && expected[i] === actual[j]) {
      lines.push(`  ${expected[i++]}`);
      j++;
    } else if (i < expected.length && (j === actual.length || at(i + 1, j) >= at(i, j + 1))) {
      lines.push(`- ${expected[i++]}`);
    } else {
      lines.push(`+ ${actual[j++]}`);
    }
  }
  if (lines.every((line) => line.startsWith('  ')))
    lines.push('  (the frames print alike: see the assertion’s own message below)');
  return lines.join('\n');
}
