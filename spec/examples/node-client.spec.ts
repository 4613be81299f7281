/**
 * `npm run example:node` as a user runs it: a child process against the dashboard's feed on loopback.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { startDashboard, type Dashboard } from '../../examples/dashboard/server';

const ROOT = resolve(__dirname, '..', '..');

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code; the child is killed if it has not exited `timeoutMs` after starting. */
  readonly exited: Promise<number | null>;
}

function runClient(args: readonly string[], timeoutMs: number): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/node/client.ts', ...args], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolveExit) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolveExit(code);
      });
    }),
  };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

/** Resolves once `condition` holds for the child's output, checking on every chunk; rejects if it exits first. */
function waitForOutput(run: Run, condition: () => boolean): Promise<void> {
  return new Promise((resolveWait, reject) => {
    const check = (): void => {
      if (!condition()) return;
      run.child.stdout.off('data', check);
      resolveWait();
    };
    run.child.stdout.on('data', check);
    void run.exited.then(() => (condition() ? resolveWait() : reject(new Error(`exited early:\n${run.stderr}`))));
    check();
  });
}

const ticks = (run: Run): number => run.stdout.split('\n').filter((line) => line.includes('"type":"tick"')).length;

describe('the Node example (npm run example:node)', () => {
  let dashboard: Dashboard;

  beforeAll(async () => {
    dashboard = await startDashboard({ port: 0, host: '127.0.0.1', log: false });
  }, 30_000);

  afterAll(() => dashboard.stop(), 10_000);

  it('streams the default channel with nothing but the URL, and exits 0 on Ctrl-C', async () => {
    const run = runClient([`ws://127.0.0.1:${dashboard.port}/ws`], 15_000);
    await waitForOutput(run, () => ticks(run) >= 10);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.stdout).toContain('{"type":"subscribed","channel":"BTC-USD"}');
    const states = run.stderr.split('\n').filter(Boolean);
    expect(states.slice(0, 2).map((line) => line.slice(13))).toEqual(['connecting', 'open']);
    expect(run.stderr).not.toMatch(/\[open\]/);
  }, 20_000);

  it('answers a URL without a scheme with the URL it meant, host and port shown, and exit code 2', async () => {
    const run = runClient([`localhost:${dashboard.port}/ws`], 15_000);
    expect(await run.exited).toBe(2);
    expect(run.stderr).toContain(`did you mean ws://localhost:${dashboard.port}/ws?`);
    expect(run.stdout).toBe('');
  }, 20_000);

  it('prints the error that stops it once', async () => {
    const run = runClient([`ws://127.0.0.1:${dashboard.port}/no-such-path`], 15_000);
    expect(await run.exited).toBe(1);
    expect(run.stderr.match(/HTTP 404/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/stopped/);
  }, 20_000);

  it('gives up after --max-attempts reconnection attempts', async () => {
    const port = await new Promise<number>((resolvePort) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolvePort(port));
      });
    });
    const run = runClient([`ws://127.0.0.1:${port}/ws`, '--max-attempts', '1'], 15_000);
    expect(await run.exited).toBe(1);
    expect(run.stderr.match(/ECONNREFUSED/g)).toHaveLength(2);
    expect(run.stderr).toContain('connecting (attempt 1)');
    expect(run.stderr).not.toContain('attempt 2');
  }, 20_000);
});
