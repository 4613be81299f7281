import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './child';

/**
 * Keeps the figures a spec measured in `test-artifacts/<folder>/<name>.json` (ignored by git), so that a run leaves
 * its numbers behind without printing them in the middle of the test output.
 */
export function keepFigures(name: string, figures: unknown, folder = 'reliability'): void {
  const dir = join(ROOT, 'test-artifacts', folder);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, replacer, 2)}\n`);
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.round(value * 10) / 10;
  return value;
}
