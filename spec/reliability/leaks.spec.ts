import { join } from 'node:path';
import { runChild } from '../helpers/child';
import { keepFigures } from '../helpers/figures';
import type { CycleArgs, CycleFigures } from './children/cycles';
import type { LeakFitArgs, LeakFitFigures } from './children/leak-fit';
import type { LoadArgs, LoadFigures } from './children/load';
import type { RequestFitArgs, RequestFitFigures } from './children/request-fit';
import type { TabsFitArgs, TabsFitFigures } from './children/tabs-fit';

// The counts here keep `npm test` short; `npm run soak` runs the same children with the big ones.
const CYCLES: CycleArgs = {
  cycles: 10_000,
  subscribeCycles: 3_000,
  streamCycles: 20_000,
  concurrency: 8,
  warmup: 500,
  budgetMs: 120_000,
};
const LOAD: LoadArgs = {
  connections: 1_000,
  storms: 2,
  streamIntervalMs: 100,
  firstRetryMaxMs: 1_000,
  stepTimeoutMs: 30_000,
};

const FIT: LeakFitArgs = {
  warmup: 500,
  checkpoints: 8,
  cyclesPerCheckpoint: 400,
  concurrency: 8,
  held: 200,
  budgetMs: 60_000,
};

const REQUEST_FIT: RequestFitArgs = { warmup: 500, checkpoints: 8, requestsPerCheckpoint: 2_000, budgetMs: 60_000 };

const TABS_FIT: TabsFitArgs = { warmup: 200, checkpoints: 8, cyclesPerCheckpoint: 200, budgetMs: 60_000 };

/**
 * What a connect/close cycle may leave on the heap beyond what raw `ws` leaves in the same run, in bytes: less than
 * any object (one empty object and the slot that holds it are 16 bytes). With the JIT off, a clean run measures 0 ± 1.
 */
const CYCLE_ALLOWANCE_BYTES = 8;
/** Raw `ws`'s own slope beyond which the run is too noisy to judge a few bytes (it measures 0 ± 2 here). */
const RAW_NOISE_BYTES = 8;
/** An idle connection held open may cost at most this many times raw `ws`'s heap (1.5× measured, JIT off). */
const HEAP_PER_CONNECTION_RATIO = 1.75;

/** After GC, the heap (code space aside) may end this far above where it started. */
const HEAP_TOLERANCE_BYTES = 1024 * 1024;
const LOAD_HEAP_TOLERANCE_BYTES = 2 * 1024 * 1024;
/** Heap per connection held with its streams subscribed, under load. */
const LOAD_HEAP_PER_CONNECTION_BYTES = 14 * 1024;
/** Every client back after a storm within this (the backoff's last delay, 4 × firstRetryMaxMs, and a second). */
const LOAD_ALL_BACK_MS = 4 * LOAD.firstRetryMaxMs + 1_000;

type Failed = { error?: string };

describe('fromWebSocket over many cycles and connections, measured in a separate node --expose-gc process', () => {
  it(`comes back to its baseline heap and handles after ${CYCLES.cycles} connect/close and ${CYCLES.subscribeCycles} subscribe/unsubscribe cycles, and lets the process exit`, async () => {
    const result = await runChild<CycleFigures & Failed>(join(__dirname, 'children', 'cycles.ts'), CYCLES, {
      timeoutMs: CYCLES.budgetMs + 30_000,
    });
    keepFigures('cycles', { args: CYCLES, ...result });
    const { figures } = result;
    expect(figures.error).toBeUndefined();
    // Nothing was left open: the process ended on its own, with every handle it opened closed.
    expect(result.exitedByItself).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(figures.resourcesAbove).toEqual({});
    expect(figures.errors).toEqual([]);
    for (const phase of [figures.connectClose, figures.subscribeUnsubscribe, figures.streamSubscriptions]) {
      expect(phase.heapGrowthBytes).toBeLessThan(HEAP_TOLERANCE_BYTES);
      expect(phase.externalGrowthBytes).toBeLessThan(256 * 1024);
    }
    // Every cycle really opened a connection: warm-ups, the held one, and the measured cycles.
    expect(figures.serverConnections).toBe(
      CYCLES.warmup + Math.min(CYCLES.warmup, 200) + 1 + CYCLES.cycles + CYCLES.subscribeCycles,
    );
  }, 180_000);

  it(`leaves at most ${CYCLE_ALLOWANCE_BYTES} bytes per connect/close cycle beyond raw ws's slope (heap fitted over ${FIT.checkpoints} checkpoints of ${FIT.cyclesPerCheckpoint} cycles), and holds a connection in at most ${HEAP_PER_CONNECTION_RATIO}× raw ws's heap`, async () => {
    const result = await runChild<LeakFitFigures & Failed>(join(__dirname, 'children', 'leak-fit.ts'), FIT, {
      timeoutMs: FIT.budgetMs + 30_000,
    });
    keepFigures('leak-fit', { args: FIT, ...result });
    const { figures } = result;
    expect(figures.error).toBeUndefined();
    expect(result.exitedByItself).toBe(true);
    expect(figures.errors).toEqual([]);
    // Every cycle opened a connection: warm-up and checkpoints for each client, then the held ones and a round before.
    const cycles = FIT.warmup + FIT.checkpoints * FIT.cyclesPerCheckpoint;
    expect(figures.serverConnections).toBe(2 * (cycles + FIT.concurrency + FIT.held));
    expect(Math.abs(figures.raw.bytesPerCycle)).toBeLessThan(RAW_NOISE_BYTES);
    expect(figures.library.bytesPerCycle).toBeLessThanOrEqual(figures.raw.bytesPerCycle + CYCLE_ALLOWANCE_BYTES);
    expect(figures.rawBytesPerConnection).toBeGreaterThan(0);
    expect(figures.libraryBytesPerConnection).toBeLessThanOrEqual(
      figures.rawBytesPerConnection * HEAP_PER_CONNECTION_RATIO,
    );
  }, 120_000);

  it(`leaves at most ${CYCLE_ALLOWANCE_BYTES} bytes per request let go before its reply beyond what a plain send of it leaves, while another request waits (heap fitted over ${REQUEST_FIT.checkpoints} checkpoints of ${REQUEST_FIT.requestsPerCheckpoint})`, async () => {
    const result = await runChild<RequestFitFigures & Failed>(
      join(__dirname, 'children', 'request-fit.ts'),
      REQUEST_FIT,
      { timeoutMs: REQUEST_FIT.budgetMs + 30_000 },
    );
    keepFigures('request-fit', { args: REQUEST_FIT, ...result });
    const { figures } = result;
    expect(figures.error).toBeUndefined();
    expect(result.exitedByItself).toBe(true);
    expect(figures.errors).toEqual([]);
    expect(Math.abs(figures.sends.bytesPerRequest)).toBeLessThan(RAW_NOISE_BYTES);
    expect(figures.requests.bytesPerRequest).toBeLessThanOrEqual(figures.sends.bytesPerRequest + CYCLE_ALLOWANCE_BYTES);
  }, 120_000);

  it(`leaves at most ${CYCLE_ALLOWANCE_BYTES} bytes per connect/close cycle of a socket shared across tabs beyond a socket of its own (heap fitted over ${TABS_FIT.checkpoints} checkpoints of ${TABS_FIT.cyclesPerCheckpoint} cycles)`, async () => {
    const result = await runChild<TabsFitFigures & Failed>(join(__dirname, 'children', 'tabs-fit.ts'), TABS_FIT, {
      timeoutMs: TABS_FIT.budgetMs + 30_000,
    });
    keepFigures('tabs-fit', { args: TABS_FIT, ...result });
    const { figures } = result;
    expect(figures.error).toBeUndefined();
    expect(result.exitedByItself).toBe(true);
    expect(figures.errors).toEqual([]);
    // Every cycle opened a real connection, for each socket.
    expect(figures.serverConnections).toBe(2 * (TABS_FIT.warmup + TABS_FIT.checkpoints * TABS_FIT.cyclesPerCheckpoint));
    expect(Math.abs(figures.plain.bytesPerCycle)).toBeLessThan(RAW_NOISE_BYTES);
    expect(figures.shared.bytesPerCycle).toBeLessThanOrEqual(figures.plain.bytesPerCycle + CYCLE_ALLOWANCE_BYTES);
  }, 120_000);

  it(`holds ${LOAD.connections} concurrent connections receiving a stream through ${LOAD.storms} reconnection storms, then frees them`, async () => {
    const result = await runChild<LoadFigures & Failed>(join(__dirname, 'children', 'load.ts'), LOAD, {
      timeoutMs: 150_000,
      openFiles: LOAD.connections + 256,
    });
    keepFigures('load', { args: LOAD, ...result });
    const { figures } = result;
    expect(figures.error).toBeUndefined();
    expect(result.exitedByItself).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(figures.unexpectedErrors).toEqual([]);
    expect(figures.disorder).toBe(0);
    expect(figures.storms.map((s) => s.dropped)).toEqual(Array(LOAD.storms).fill(LOAD.connections));
    // The only closes: one per client per storm (1006 when dropped, 1001 when told to go), failed attempts, and the final 1000.
    const dropStorms = Math.ceil(LOAD.storms / 2);
    const goAwayStorms = Math.floor(LOAD.storms / 2);
    const failedAttempts = figures.storms.reduce((sum, s) => sum + s.failedAttempts, 0);
    expect(figures.closeCodes).toEqual({
      1000: LOAD.connections,
      ...(goAwayStorms > 0 && { 1001: LOAD.connections * goAwayStorms }),
      1006: LOAD.connections * dropStorms + failedAttempts,
    });
    expect(figures.messagesReceived).toBeGreaterThan(LOAD.connections * (1 + LOAD.storms));
    expect(figures.heapBytesPerConnection).toBeGreaterThan(0);
    // The README's 8.1 KiB per connection with its streams subscribed (soak); 7 to 9.6 KiB here, on a loaded machine.
    expect(figures.heapBytesPerConnection).toBeLessThan(LOAD_HEAP_PER_CONNECTION_BYTES);
    // The README's "all back within 4.3 s of each storm" (soak, same backoff: up to 4 × firstRetryMaxMs).
    for (const storm of figures.storms) expect(storm.allBackMs).toBeLessThan(LOAD_ALL_BACK_MS);
    expect(figures.heapGrowthAfterCloseBytes).toBeLessThan(LOAD_HEAP_TOLERANCE_BYTES);
    expect(figures.resourcesAbove).toEqual({});
  }, 180_000);
});
