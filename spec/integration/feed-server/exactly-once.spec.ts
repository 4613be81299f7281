/**
 * Streams that survive reconnection, proven end to end with the library client (`fromWebSocket` + `json()` +
 * resumable `multiplex` channels + `request(..., { resend: 'on-reconnect' })`) against the reference feed server:
 * numbered messages down, numbered requests up, every one delivered to the app exactly once and in order, through
 * server restarts and kills (history and replies in Redis) and random TCP cuts under several clients (in memory).
 * `npm run soak` runs the same workloads with 100,000 messages each way.
 */
import { keepFigures } from '../../helpers/figures';
import { runCutProof, runRestartProof, type ProofLedger } from '../../helpers/feed-proof';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { requireSystem } from '../../helpers/system';

const CHANNELS = ['a', 'b', 'c'];

/** 0 lost, 0 duplicated, 0 out of order, both ways; every reply said "ran once"; nothing ended in an error. */
function expectExactlyOnce(ledger: ProofLedger, atLeast: number): void {
  expect(ledger.errors).toEqual([]);
  expect(ledger.down).toEqual({
    sent: ledger.down.sent,
    delivered: ledger.down.sent,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
  });
  expect(ledger.up).toEqual({ sent: ledger.up.sent, delivered: ledger.up.sent, lost: 0, duplicated: 0, outOfOrder: 0 });
  expect(ledger.replies).toEqual({
    sent: ledger.up.sent,
    delivered: ledger.up.sent,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
  });
  expect(ledger.badReplies).toBe(0);
  expect(ledger.resumes.notRecovered).toBe(0);
  expect(ledger.down.sent).toBeGreaterThanOrEqual(atLeast);
  expect(ledger.up.sent).toBeGreaterThanOrEqual(atLeast);
}

requireSystem('redis-server').describe(
  'exactly once both ways, with the library client: server restarts and kills on one Redis history',
  (redisServerPath) => {
    let redis: RedisServer | undefined;
    beforeAll(async () => {
      redis = await startRedis({ binary: redisServerPath });
    }, 15_000);
    afterAll(async () => {
      await redis?.stop();
    });

    it('delivers 2,100 messages on 3 channels and runs and answers 2,100 requests each exactly once and in order, through 4 restarts and 4 kills', async () => {
      const figures = await runRestartProof({
        redisUrl: (redis as RedisServer).url,
        keyPrefix: 'restarts:',
        channels: CHANNELS,
        messagesPerChannel: 700,
        requests: 2_100,
        stops: 8,
        stepTimeoutMs: 10_000,
      });
      keepFigures('feed-exactly-once-restarts', figures);
      expectExactlyOnce(figures.ledger, 2_000);
      // Every channel resubscribed after every stop and was told its gap was filled.
      expect(figures.ledger.resumes.recovered).toBe(8 * CHANNELS.length);
      expect([figures.graceful, figures.abrupt]).toEqual([4, 4]);
      // Some requests were in flight at a stop: sent again, and answered from the store without running again.
      expect(figures.repeats).toBeGreaterThan(0);
    }, 30_000);
  },
);

describe('exactly once both ways, with the library client: random TCP cuts under several clients', () => {
  it('5 clients, 3 channels: 450 messages each to every client and 420 requests from each, through 30 random cuts (mid-frame included)', async () => {
    const figures = await runCutProof({
      clients: 5,
      channels: CHANNELS,
      messagesPerChannel: 150,
      requestsPerClient: 420,
      rounds: 30,
      seed: 16,
      stepTimeoutMs: 10_000,
    });
    keepFigures('feed-exactly-once-cuts', figures);
    expectExactlyOnce(figures.ledger, 2_000);
    expect(figures.cuts.midChunk).toBeGreaterThan(0);
    expect(figures.cuts.one + figures.cuts.all).toBeGreaterThan(0);
    expect(figures.ledger.resumes.recovered).toBeGreaterThan(0);
  }, 30_000);
});
