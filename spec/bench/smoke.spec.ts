import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchResults } from '../../bench/run';

const root = resolve(__dirname, '..', '..');

/** Runs `npm run bench -- --smoke` as a child process; resolves with its exit code and output. */
function runSmoke(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join('bench', 'run.ts'), '--smoke', '--out', out],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, output }));
  });
}

const isPositive = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;

describe('the benchmark in --smoke mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rx-websocket-smoke-'));
  const out = join(dir, 'results.json');
  const latest = join(root, 'bench', 'results', 'latest.json');
  const latestBefore = existsSync(latest) ? statSync(latest).mtimeMs : undefined;
  let run: { code: number | null; output: string } = { code: null, output: '' };
  let results: BenchResults | undefined;

  beforeAll(async () => {
    run = await runSmoke(out);
    if (existsSync(out)) results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs end to end and writes its results where --out says', () => {
    expect({ code: run.code, tail: run.code === 0 ? '' : run.output.slice(-4_000) }).toEqual({ code: 0, tail: '' });
    expect(results).toBeDefined();
  });

  it('leaves the committed results alone', () => {
    expect(existsSync(latest) ? statSync(latest).mtimeMs : undefined).toBe(latestBefore);
  });

  it('describes the run and the machine without paths', () => {
    expect(results?.schema).toBe(1);
    expect(results?.mode).toBe('smoke');
    expect(results?.command).toBe('npm run bench -- --smoke --out <file>');
    expect(Number.isNaN(Date.parse(results?.date ?? ''))).toBe(false);
    expect(results?.machine.cores).toBeGreaterThan(0);
    expect(typeof results?.machine.cpu).toBe('string');
    expect(results?.machine.node).toMatch(/^v\d+/);
  });

  it('measures every client in every socket workload', () => {
    const ids = (rows: readonly { id: string }[] | undefined): string[] => (rows ?? []).map((row) => row.id).sort();
    const receiveOnly = ['ws-onmessage', 'ws-observable', 'ws-cursors', 'rx-websocket-resumable'];
    const everyClient = results?.clients.map((client) => client.id).filter((id) => !receiveOnly.includes(id)) ?? [];
    expect(ids(results?.receive)).toEqual([...everyClient, ...receiveOnly].sort());
    expect(ids(results?.dispatch)).toEqual([...everyClient, ...receiveOnly].sort());
    for (const rows of [results?.send, results?.latency, results?.idle, results?.cycles]) {
      expect(ids(rows)).toEqual([...everyClient].sort());
    }
  });

  it('gives well-formed numbers', () => {
    for (const row of [...(results?.receive ?? []), ...(results?.send ?? [])]) {
      expect(isPositive(row.medianMessagesPerSecond)).toBe(true);
      expect(isPositive(row.ratioToWs)).toBe(true);
      expect(row.runs).toHaveLength(1);
    }
    for (const row of results?.latency ?? []) {
      expect(row.medianP50Ms).toBeGreaterThanOrEqual(0);
      expect(row.medianP99Ms).toBeGreaterThanOrEqual(row.medianP50Ms);
      expect(row.maxMs).toBeGreaterThanOrEqual(row.medianP99Ms);
    }
    for (const row of results?.idle ?? []) expect(Number.isFinite(row.medianHeapBytesPerConnection)).toBe(true);
    for (const row of results?.cycles ?? []) {
      expect(isPositive(row.medianCyclesPerSecond)).toBe(true);
      expect(row.runs[0]?.checkpoints.length).toBeGreaterThan(1);
    }
    for (const row of results?.bundle ?? []) {
      expect(isPositive(row.totalGzipBytes)).toBe(true);
      expect(row.totalGzipBytes).toBeLessThan(row.totalMinBytes);
    }
    expect(results?.storm?.rows.length).toBeGreaterThan(0);
  });

  it('times request round trips of raw ws and request() (isReply and replyIdOf), one at a time and several in flight', () => {
    const rows = results?.request ?? [];
    expect(rows.map((row) => `${row.id} ${row.inFlight}`).sort()).toEqual(
      [
        'rx-websocket 1',
        'rx-websocket 8',
        'rx-websocket-replyIdOf 1',
        'rx-websocket-replyIdOf 8',
        'ws 1',
        'ws 8',
      ].sort(),
    );
    for (const row of rows) {
      expect(row.runs).toHaveLength(1);
      expect(row.runs[0]?.requests).toBe(200);
      expect(isPositive(row.medianNsPerRoundTrip)).toBe(true);
      expect(isPositive(row.medianCpuNsPerRoundTrip)).toBe(true);
      expect(isPositive(row.ratioToWs)).toBe(true);
      if (row.id === 'ws') expect(row.ratioToWs).toBe(1);
    }
    expect(run.output).toContain('### Request round trip');
  });

  it('checks every target, met or not', () => {
    expect(results?.targets.map((target) => target.name)).toEqual([
      'receive throughput vs the bare-Observable floor',
      "a resumable channel's receive throughput vs raw ws",
      'receive throughput vs every peer',
      'send throughput vs raw ws',
      'heap per idle connection vs raw ws',
      'heap after connect/close cycles',
      'own code, min+gz: default app, against the 0.2 target',
      'own code, min+gz: message$ only',
      'own code, min+gz: default app',
      'own code, min+gz: default app + heartbeat()',
      'own code, min+gz: default app + pageLifecycle()',
      'own code, min+gz: default app + multiplex()',
      'own code, min+gz: default app + request()',
      'own code, min+gz: default app + shareAcrossTabs()',
      'reconnection storm, default backoff',
    ]);
    for (const target of results?.targets ?? []) expect(typeof target.met).toBe('boolean');
    // A resumable channel is also set against its floor, the same bookkeeping written by hand on raw ws.
    const channel = results?.targets.find((target) => target.name.startsWith('a resumable channel'));
    expect(channel?.measured).toMatch(/^\d\.\d{3}× \(\d\.\d{3}× cursors kept by hand, which reach \d\.\d{3}×\)$/);
  });
});
