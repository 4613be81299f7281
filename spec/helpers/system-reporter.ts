/**
 * A jest reporter for the suites that `requireSystem` left out: one line as each one is skipped, and a summary
 * at the end of the run of what was skipped (or, under CI, failed) and how to get what is missing.
 */
import { relative } from 'node:path';
import { findSystem, hostProbe, howToGet, parsePlaceholder, type SystemProbe, type SystemTool } from './system';

/** The parts of jest's per-test result that this reporter reads. */
export interface AssertionLike {
  readonly title: string;
  readonly ancestorTitles: readonly string[];
  readonly status: string;
}

/** The parts of jest's per-file result that this reporter reads. */
export interface FileResultLike {
  readonly testFilePath: string;
  readonly testResults: readonly AssertionLike[];
}

/** A suite left out for want of a program. */
export interface LeftOut {
  readonly tool: SystemTool;
  /** The spec file, relative to the root directory. */
  readonly file: string;
  readonly suite: string;
  readonly message: string;
  /** `todo`: skipped (a developer's machine); `failed`: failed (CI). */
  readonly outcome: 'skipped' | 'failed';
}

/** The suites of one file's result that were left out, from their placeholder tests. */
export function leftOutIn(result: FileResultLike, rootDir: string): LeftOut[] {
  return result.testResults.flatMap((test): LeftOut[] => {
    const placeholder = parsePlaceholder(test.title);
    if (!placeholder || (test.status !== 'todo' && test.status !== 'failed')) return [];
    return [
      {
        tool: placeholder.tool,
        file: relative(rootDir, result.testFilePath).split('\\').join('/'),
        suite: test.ancestorTitles.join(' › '),
        message: placeholder.message,
        outcome: test.status === 'todo' ? 'skipped' : 'failed',
      },
    ];
  });
}

/** The line printed as a suite is skipped. */
export function skipLine({ file, message }: LeftOut): string {
  return `SKIPPED ${file}: ${message}`;
}

/** The end-of-run summary, or `undefined` when every suite ran. */
export function summary(leftOut: readonly LeftOut[], probe: SystemProbe): string | undefined {
  if (leftOut.length === 0) return undefined;
  const skipped = leftOut.filter((entry) => entry.outcome === 'skipped').length;
  const failed = leftOut.length - skipped;
  const counts = [
    ...(skipped > 0 ? [`${skipped} skipped`] : []),
    ...(failed > 0 ? [`${failed} failed (CI)`] : []),
  ].join(', ');
  const lines = [`Suites left out for want of a program: ${counts}.`];
  const tools = [...new Set(leftOut.map((entry) => entry.tool))];
  for (const tool of tools) {
    const discovery = findSystem(tool, probe);
    const problem = discovery.found ? `${tool} was missing in a test worker` : discovery.problem;
    lines.push(`  ${problem}: ${howToGet(tool, probe)}.`);
    for (const entry of leftOut.filter((e) => e.tool === tool)) {
      lines.push(`    ${entry.outcome === 'skipped' ? 'skipped' : 'failed '} ${entry.file} › ${entry.suite}`);
    }
  }
  if (skipped > 0) lines.push('  With CI=true these suites fail instead of being skipped.');
  return lines.join('\n');
}

const yellow = (text: string): string => (process.stderr.isTTY ? `\u001b[1;33m${text}\u001b[0m` : text);

/** Registered in jest.config.ts, after jest's default reporters. */
export default class SystemReporter {
  private readonly leftOut: LeftOut[] = [];
  private readonly rootDir: string;

  constructor(globalConfig: { readonly rootDir: string }) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunStart(): void {
    // A watch run starts over.
    this.leftOut.length = 0;
  }

  onTestFileResult(_test: unknown, result: FileResultLike): void {
    for (const entry of leftOutIn(result, this.rootDir)) {
      this.leftOut.push(entry);
      if (entry.outcome === 'skipped') process.stderr.write(`${yellow(skipLine(entry))}\n`);
    }
  }

  onRunComplete(): void {
    const text = summary(this.leftOut, hostProbe());
    if (text !== undefined) process.stderr.write(`\n${yellow(text)}\n`);
  }

  getLastError(): Error | undefined {
    return undefined;
  }
}
