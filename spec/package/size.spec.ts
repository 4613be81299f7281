/**
 * Weight: each of rx-websocket's own apps, bundled as the package's production browser build is, must stay within its
 * budget (own code, minified and gzipped: a guard against growth, see bench/bundle-size.ts), and the default app must
 * carry none of the opt-in features' code, each of which adds at most its ceiling to it. Figures for every app and peer, and DESIGN.md's 6,000 B target for the
 * default app (not met in 0.2): `npm run size` and BENCHMARKS.md.
 */
import { join } from 'node:path';
import {
  DEFAULT_APP_ID,
  FEATURE_COST_CEILINGS,
  measureBundles,
  OWN_GZIP_BUDGETS,
  type BundleSize,
} from '../../bench/bundle-size';

const ROOT = join(__dirname, '..', '..');

let rows: BundleSize[];
beforeAll(async () => {
  rows = await measureBundles(ROOT, undefined, undefined, [...Object.keys(OWN_GZIP_BUDGETS), 'rx-websocket-lifecycle']);
}, 60_000);

const row = (id: string): BundleSize => {
  const found = rows.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no bundle measured for ${id}`);
  return found;
};

describe('the browser bundle of each app', () => {
  it.each(Object.entries(OWN_GZIP_BUDGETS))('%s stays within %i bytes of own code, min+gz', (id, budget) => {
    expect(row(id).ownGzipBytes).toBeLessThanOrEqual(budget);
  });

  it.each(Object.entries(FEATURE_COST_CEILINGS))(
    '%s adds at most %i bytes of own code, min+gz, to the default app',
    (id, ceiling) => {
      expect((row(id).ownGzipBytes ?? Infinity) - (row(DEFAULT_APP_ID).ownGzipBytes ?? 0)).toBeLessThanOrEqual(ceiling);
    },
  );

  it('the default app contains no heartbeat, multiplex, request, tab-sharing, page lifecycle or Node (ws) code', () => {
    const files = row('rx-websocket').ownInputs.map((input) => input.file);
    expect(files.filter((file) => /features\//.test(file))).toEqual([]);
    expect(files.filter((file) => /node_modules\/(ws|isomorphic-ws)\//.test(file))).toEqual([]);
  });

  it('an app pays for heartbeat(), multiplex() and request() only when it imports them', () => {
    const files = (id: string): string[] => row(id).ownInputs.map((input) => input.file);
    expect(files('rx-websocket-heartbeat').some((file) => file.includes('features/heartbeat/'))).toBe(true);
    expect(files('rx-websocket-heartbeat').some((file) => file.includes('features/multiplex/'))).toBe(false);
    expect(files('rx-websocket-multiplex').some((file) => file.includes('features/multiplex/'))).toBe(true);
    expect(files('rx-websocket-multiplex').some((file) => file.includes('features/heartbeat/'))).toBe(false);
    expect(files('rx-websocket-request').some((file) => file.includes('features/request/'))).toBe(true);
    expect(files('rx-websocket-request').some((file) => /features\/(heartbeat|multiplex)\//.test(file))).toBe(false);
  });

  it('an app pays for shareAcrossTabs() only when it imports it', () => {
    const files = (id: string): string[] => row(id).ownInputs.map((input) => input.file);
    expect(files('rx-websocket-tabs').some((file) => file.includes('features/tabs/'))).toBe(true);
    expect(files('rx-websocket-tabs').filter((file) => /features\/(heartbeat|multiplex|request)\//.test(file))).toEqual(
      [],
    );
    for (const id of ['rx-websocket', 'rx-websocket-heartbeat', 'rx-websocket-multiplex']) {
      expect(files(id).filter((file) => file.includes('features/tabs/'))).toEqual([]);
    }
  });

  it('an app pays for pageLifecycle() only when it imports it', () => {
    const files = (id: string): string[] => row(id).ownInputs.map((input) => input.file);
    expect(files('rx-websocket-lifecycle').some((file) => file.includes('features/lifecycle/'))).toBe(true);
    expect(files('rx-websocket-lifecycle').some((file) => /features\/(heartbeat|multiplex)\//.test(file))).toBe(false);
    for (const id of ['rx-websocket', 'rx-websocket-heartbeat', 'rx-websocket-multiplex'])
      expect([id, files(id).some((file) => file.includes('features/lifecycle/'))]).toEqual([id, false]);
  });
});
