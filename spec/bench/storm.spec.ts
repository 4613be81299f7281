import {
  LIBRARY_MODELS,
  mulberry32,
  OUTAGES_MS,
  PEER_MODELS,
  simulateStorm,
  type StormResult,
  type StrategyModel,
} from '../../bench/storm';
import { constantBackoff, exponentialBackoff } from '../../lib/reconnect/backoff';

const byName = (models: readonly StrategyModel[], name: string): StrategyModel => {
  const model = models.find((m) => m.name === name);
  if (!model) throw new Error(`no model named ${name}`);
  return model;
};

const defaultModel = byName(LIBRARY_MODELS, 'rx-websocket default');
const graphqlWs = byName(PEER_MODELS, 'graphql-ws');

describe('simulateStorm', () => {
  describe('with a constant, unjittered backoff', () => {
    const constant: StrategyModel = {
      name: 'constant',
      description: '500 ms',
      create: () => constantBackoff({ delayMs: 500 }),
    };

    it('brings every client back in one window, on the first attempt after the outage', () => {
      const result = simulateStorm(constant, { clients: 1_000, outageMs: 1_200 });
      expect(result.peakShare).toBe(1);
      expect(result.peakWindowStartMs).toBe(1_500);
      expect(result.allBackMs).toBe(1_500);
      expect(result.meanFirstRetryMs).toBe(500);
      expect(result.meanAttempts).toBe(3);
      expect(result.maxAttempts).toBe(3);
      expect(result.peakShareWhileDown).toBe(1);
    });

    it('counts every attempt, failed or not, in its window', () => {
      const { attemptsPerWindow, reconnectsPerWindow } = simulateStorm(constant, { clients: 1_000, outageMs: 1_200 });
      expect(attemptsPerWindow).toHaveLength(16);
      expect(attemptsPerWindow.filter((count) => count > 0)).toEqual([1_000, 1_000, 1_000]);
      expect([attemptsPerWindow[5], attemptsPerWindow[10], attemptsPerWindow[15]]).toEqual([1_000, 1_000, 1_000]);
      expect(reconnectsPerWindow[15]).toBe(1_000);
      expect(reconnectsPerWindow.reduce((a, b) => a + b, 0)).toBe(1_000);
    });

    it('treats an attempt at the very moment the server returns as a success', () => {
      const result = simulateStorm(constant, { clients: 10, outageMs: 1_000 });
      expect(result.allBackMs).toBe(1_000);
      expect(result.meanAttempts).toBe(2);
    });

    it('brings everyone back on the first attempt when there is no outage', () => {
      const result = simulateStorm(constant, { clients: 10, outageMs: 0 });
      expect(result.meanAttempts).toBe(1);
      expect(result.peakShareWhileDown).toBe(0);
    });
  });

  describe('with full jitter and no outage', () => {
    it('spreads clients evenly over the delay', () => {
      const model: StrategyModel = {
        name: 'full',
        description: '',
        create: (random) => constantBackoff({ delayMs: 1_000, jitter: 'full', random }),
      };
      const { reconnectsPerWindow, meanFirstRetryMs } = simulateStorm(model, { clients: 100_000, outageMs: 0 });
      expect(reconnectsPerWindow).toHaveLength(10);
      for (const count of reconnectsPerWindow) expect(count / 100_000).toBeCloseTo(0.1, 2);
      expect(meanFirstRetryMs).toBeGreaterThan(490);
      expect(meanFirstRetryMs).toBeLessThan(510);
    });
  });

  it('gives every client its own instance, so stateful strategies run one sequence each', () => {
    const create = jest.fn((random: () => number) => exponentialBackoff({ jitter: 'decorrelated', random }));
    simulateStorm({ name: 'decorrelated', description: '', create }, { clients: 50, outageMs: 5_000 });
    expect(create).toHaveBeenCalledTimes(50);
  });

  it('is reproducible for a seed, and differs between seeds', () => {
    const a = simulateStorm(defaultModel, { clients: 1_000, outageMs: 3_000, seed: 7 });
    const b = simulateStorm(defaultModel, { clients: 1_000, outageMs: 3_000, seed: 7 });
    const c = simulateStorm(defaultModel, { clients: 1_000, outageMs: 3_000, seed: 8 });
    expect(a).toEqual(b);
    expect(c.attemptsPerWindow).not.toEqual(a.attemptsPerWindow);
  });

  it('stops a strategy that never lets time pass instead of spinning for ever', () => {
    const zero: StrategyModel = { name: 'zero', description: '', create: () => constantBackoff({ delayMs: 0 }) };
    expect(() => simulateStorm(zero, { clients: 1, outageMs: 10 })).toThrow(/attempts without the server coming back/);
  });
});

describe('mulberry32', () => {
  it('returns the same numbers in [0, 1) for the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 1_000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1_000 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('the default backoff in a reconnection storm', () => {
  // 10,000 clients, as in the design; the whole set of runs takes well under a second.
  const clients = 10_000;
  // graphql-ws's figures from the design, for outages of 0, 3, 10 and 30 s.
  const graphqlWsAllBackMs = [4_000, 8_000, 21_000, 44_700];

  describe.each(OUTAGES_MS.map((outageMs, i) => [outageMs / 1000, outageMs, graphqlWsAllBackMs[i]!] as const))(
    'when the server is gone for %p s',
    (_, outageMs, graphqlWsBound) => {
      let runs: StormResult[] = [];
      beforeAll(() => {
        runs = [1, 2, 3].map((seed) => simulateStorm(defaultModel, { clients, outageMs, seed }));
      });

      it('brings at most about 5% of clients back per 100 ms', () => {
        // 5% is the mean density of a 0–2 s first wait; a window's count is binomial (500 ± 22 of 10,000), so the
        // busiest of the 20 windows sits a couple of standard deviations above it.
        for (const run of runs) expect(run.peakShare).toBeLessThanOrEqual(0.056);
      });

      it('brings everyone back sooner than graphql-ws', () => {
        for (const [i, run] of runs.entries()) {
          const peer = simulateStorm(graphqlWs, { clients, outageMs, seed: i + 1 });
          expect(run.allBackMs).toBeLessThan(peer.allBackMs);
          expect(run.allBackMs).toBeLessThan(graphqlWsBound);
        }
      });

      it('makes the first retry after 1 s on average', () => {
        // The expectation is exactly 1 s; the mean of 10,000 draws is within 1,000 ± 6 ms.
        for (const run of runs) expect(run.meanFirstRetryMs).toBeLessThanOrEqual(1_020);
      });
    },
  );
});
