import { join } from 'node:path';
import { runChild, type ChildResult } from '../helpers/child';
import { keepFigures } from '../helpers/figures';
import type { FuzzArgs, FuzzFigures } from './children/fuzz-harness';

/**
 * The fuzz suite: random application callbacks, buffers, re-entrant calls, delays and clocks, each property in a child
 * process of its own against a real `ws` server on 127.0.0.1, so that an uncaught exception, a handle left open or a
 * process that cannot exit is seen. `npm test` runs a few seconds of each with fixed seeds; to run longer or replay:
 *
 *   FUZZ_SEED=123 FUZZ_RUNS=500 FUZZ_BUDGET_MS=120000 npx jest spec/reliability/fuzz-callbacks
 *   FUZZ_PROPERTY=send FUZZ_SEED=123 FUZZ_CASE=17 npx jest spec/reliability/fuzz-callbacks -t send
 *
 * (FUZZ_SEED=random draws a seed, printed with any failure.)
 */
const PROPERTIES = {
  hooks: { seed: 1, runs: 24, file: 'fuzz-hooks.ts' },
  send: { seed: 202, runs: 80, file: 'fuzz-send.ts' },
  reentry: { seed: 303, runs: 60, file: 'fuzz-reentry.ts' },
  timers: { seed: 404, runs: 16, file: 'fuzz-timers.ts' },
  providers: { seed: 505, runs: 16, file: 'fuzz-providers.ts' },
} as const;
type Property = keyof typeof PROPERTIES;

const env = process.env;
const budgetMs = Number(env.FUZZ_BUDGET_MS ?? 8_000);
const seedFor = (property: Property): number =>
  env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : env.FUZZ_SEED !== undefined
      ? Number(env.FUZZ_SEED)
      : PROPERTIES[property].seed;

const running = new Map<Property, Promise<ChildResult<FuzzFigures & { error?: string }>>>();
function start(property: Property): Promise<ChildResult<FuzzFigures & { error?: string }>> {
  let result = running.get(property);
  if (!result) {
    const args: FuzzArgs = {
      seed: seedFor(property),
      runs: Number(env.FUZZ_RUNS ?? PROPERTIES[property].runs),
      budgetMs,
      ...(env.FUZZ_CASE !== undefined && { only: Number(env.FUZZ_CASE) }),
    };
    result = runChild(join(__dirname, 'children', PROPERTIES[property].file), args, { timeoutMs: budgetMs + 20_000 });
    running.set(property, result);
  }
  return result;
}

// Every property's child starts at once (they mostly wait on sockets and timers), each spec then reads its own.
beforeAll(() => {
  const only = env.FUZZ_PROPERTY as Property | undefined;
  for (const property of Object.keys(PROPERTIES) as Property[]) if (!only || only === property) void start(property);
});

/** The violations, grouped by invariant, with each failing case's input and how to replay it. */
function summary(property: Property, figures: FuzzFigures): string {
  const lines = [`${property}: seed ${figures.seed}, ${figures.ran} of ${figures.runs} case(s) run`];
  for (const violation of figures.violations) {
    lines.push(`  case ${violation.case}: ${violation.invariant}\n      ${violation.detail}`);
  }
  for (const [index, input] of Object.entries(figures.inputs)) {
    lines.push(
      `  case ${index} input: ${input}\n      replay: FUZZ_PROPERTY=${property} FUZZ_SEED=${figures.seed} FUZZ_CASE=${index} npx jest spec/reliability/fuzz-callbacks -t ${property}`,
    );
  }
  return lines.join('\n');
}

describe.each([
  ['hooks', 'random callbacks that throw anything at every hook, against a server that drops connections'],
  ['send', 'buffers reused or transferred right after send, queued or not, through scratch serializers'],
  ['reentry', 'subscribe, connect(), close() and reconnect() from every callback of every stream'],
  ['timers', 'delay options at and beyond 2^31 - 1 ms, and a wall clock that jumps under a heartbeat'],
  ['providers', 'URL and protocols providers that fail with any code or never settle, constructors that throw'],
] as const)('fuzz: %s (%s)', (property: Property, _what: string) => {
  it('keeps every invariant: nothing escapes, nothing is lost or left, every error is typed and reported; the process exits by itself', async () => {
    const result = await start(property);
    keepFigures(`fuzz-${property}`, result);
    const { figures } = result;
    expect(figures.error).toBeUndefined();
    expect(figures.ran).toBeGreaterThan(0);
    expect({ property, violations: figures.violations.length === 0 ? 'none' : summary(property, figures) }).toEqual({
      property,
      violations: 'none',
    });
    expect(figures.processLevel).toEqual([]);
    expect(result.exitedByItself).toBe(true);
    expect(result.exitCode).toBe(0);
  }, 60_000);
});
