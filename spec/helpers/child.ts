import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root, where `tsx` resolves from. */
export const ROOT = resolve(__dirname, '..', '..');

export interface ChildResult<T> {
  /** The child's figures: the last JSON line it printed. */
  readonly figures: T;
  /** Whether it exited on its own, before the deadline (it is killed otherwise). */
  readonly exitedByItself: boolean;
  readonly exitCode: number | null;
  readonly ms: number;
  readonly stderr: string;
}

export interface ChildOptions {
  /** Killed (and reported as not exiting by itself) after this. */
  readonly timeoutMs: number;
  /** Raise the soft limit on open files to at least this before starting (up to the hard limit). */
  readonly openFiles?: number;
}

/**
 * Runs `script` (TypeScript, through tsx) in a fresh `node --expose-gc` process with `args` as JSON, so that what it
 * measures (heap, open handles, whether it can exit) is not disturbed by the test runner.
 */
export function runChild<T>(
  script: string,
  args: object,
  { timeoutMs, openFiles }: ChildOptions,
): Promise<ChildResult<T>> {
  const nodeArgs = ['--expose-gc', '--import', 'tsx', script, JSON.stringify(args)];
  const [command, argv] =
    openFiles === undefined
      ? [process.execPath, nodeArgs]
      : [
          '/bin/sh',
          [
            '-c',
            // Raise the soft limit if it is below what is needed (never above the hard limit), then become node.
            `want=${openFiles}; soft=$(ulimit -Sn); if [ "$soft" != unlimited ] && [ "$soft" -lt "$want" ]; then ulimit -Sn "$want" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null; fi; exec "$@"`,
            'sh',
            process.execPath,
            ...nodeArgs,
          ],
        ];
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let figures: T;
      try {
        figures = JSON.parse(last) as T;
      } catch {
        reject(
          new Error(
            `${script} printed no figures (exit code ${exitCode}${timedOut ? `, killed after ${timeoutMs} ms` : ''}):\n${stdout}\n${stderr}`,
          ),
        );
        return;
      }
      resolvePromise({
        figures,
        exitedByItself: !timedOut,
        exitCode,
        ms: Math.round(performance.now() - started),
        stderr,
      });
    });
  });
}
