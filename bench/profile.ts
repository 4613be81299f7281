/**
 * Summarizes V8 CPU profiles (from `npm run bench -- --cpu-prof <client>`): self time and total time per function,
 * so that two clients' profiles of the same workload can be compared line by line.
 *
 *   npx tsx bench/profile.ts bench/results/receive-rx-websocket-1.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FunctionCost {
  readonly name: string;
  readonly selfMs: number;
  readonly totalMs: number;
}

const frameName = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : ` ${basename(url.replace(/^file:\/\//, ''))}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${file}`;
};

/** Self and total (inclusive) time per function name, largest self time first. */
export function summarizeProfile(profile: CpuProfile): { totalMs: number; functions: FunctionCost[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + us);
    // Each function on the stack once, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (!frame) break;
      const frameKey = frameName(frame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      total.set(frameKey, (total.get(frameKey) ?? 0) + us);
    }
  }
  const functions = [...total.keys()]
    .map((name) => ({ name, selfMs: (self.get(name) ?? 0) / 1_000, totalMs: (total.get(name) ?? 0) / 1_000 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: (profile.endTime - profile.startTime) / 1_000, functions };
}

function main(): void {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex === -1 ? 25 : Number(args[topIndex + 1]);
  const files = args.filter((arg, i) => !arg.startsWith('--') && (topIndex === -1 || i !== topIndex + 1));
  if (files.length === 0) throw new Error('Usage: tsx bench/profile.ts <file.cpuprofile>... [--top N]');
  for (const file of files) {
    const { totalMs, functions } = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    process.stdout.write(`\n${basename(file)}: ${totalMs.toFixed(0)} ms profiled\n`);
    process.stdout.write(`${'self ms'.padStart(9)} ${'total ms'.padStart(9)}  function\n`);
    for (const f of functions.slice(0, top)) {
      process.stdout.write(`${f.selfMs.toFixed(1).padStart(9)} ${f.totalMs.toFixed(1).padStart(9)}  ${f.name}\n`);
    }
  }
}

if (/[\\/]bench[\\/]profile\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) main();
