import { readFileSync } from 'node:fs';
import path from 'node:path';

// The README's marble examples are the ones spec/testing/examples.spec.ts runs: every line of code in them is a line
// of that spec, in the same order, so an example cannot drift from what is tested.

const repo = path.resolve(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(repo, file), 'utf8');

/** The TypeScript blocks of `markdown` that write marbles. */
function marbleBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] as string)
    .filter((block) => /expectObservable|\bcold\(|\bhot\(/.test(block));
}

/** The lines that are code: trimmed, without blank lines, comments and imports (the spec imports more). */
const codeLines = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//') && !line.startsWith('import '));

/** The lines of `block` that are not found in `lines` in order, after the previous one found. */
function outOfOrder(block: readonly string[], lines: readonly string[]): string[] {
  const missing: string[] = [];
  let at = 0;
  for (const line of block) {
    const found = lines.indexOf(line, at);
    if (found === -1) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

describe("the README's marble examples", () => {
  const blocks = marbleBlocks(read('README.md'));
  const spec = read('spec/testing/examples.spec.ts')
    .split('\n')
    .map((line) => line.trim());

  it('are there', () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.flatMap(codeLines).length).toBeGreaterThan(20);
  });

  it('are, line for line and in order, code that spec/testing/examples.spec.ts runs', () => {
    for (const block of blocks) expect(outOfOrder(codeLines(block), spec)).toEqual([]);
  });

  it('would be caught changed: a marble moved in the README is not in the spec', () => {
    const changed = codeLines(blocks[0] as string).map((line) => line.replace(/'-o-a/, "'o--a"));
    expect(outOfOrder(changed, spec)).not.toEqual([]);
  });
});
