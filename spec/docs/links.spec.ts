import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// The Markdown people read on GitHub and npm, as well as in the generated site: every relative link must reach a file
// of this repository, and every `#anchor` a heading of its target (GitHub's slugs). TypeDoc checks links between the
// site's documents; this also covers links within one page and to files the site does not hold (examples, specs).

const repo = path.resolve(__dirname, '../..');

/** The Markdown files of the documentation: README, CHANGELOG, docs/ (not the generated site) and the examples'. */
function markdownFiles(): string[] {
  const found = ['README.md', 'CHANGELOG.md', 'BENCHMARKS.md'].filter((file) => isFile(path.join(repo, file)));
  const walk = (dir: string, depth: number): void => {
    if (depth > 6) return;
    for (const entry of readdirSync(path.join(repo, dir), { withFileTypes: true })) {
      const relative = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'api', 'dist', '.angular'].includes(entry.name) && !entry.name.startsWith('.'))
          walk(relative, depth + 1);
      } else if (entry.name.endsWith('.md')) found.push(relative);
    }
  };
  walk('docs', 0);
  walk('examples', 0);
  return found.sort();
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Markdown without its fenced code blocks and inline code, where brackets are code, not links. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutCode.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const text = (match[1] ?? '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const seen = counts.get(base) ?? 0;
    counts.set(base, seen + 1);
    anchors.add(seen === 0 ? base : `${base}-${seen}`);
  }
  return anchors;
}

interface Link {
  readonly from: string;
  readonly target: string;
}

/** The relative links (and images) of a Markdown file: `[text](target)`, without external URLs. */
function relativeLinks(file: string): Link[] {
  const text = prose(readFileSync(path.join(repo, file), 'utf8'));
  const links: Link[] = [];
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:...
    links.push({ from: file, target });
  }
  return links;
}

/** What is wrong with a link, or undefined when it resolves. */
function problem(link: Link): string | undefined {
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const file =
    pathPart === ''
      ? path.join(repo, link.from)
      : path.resolve(path.dirname(path.join(repo, link.from)), decodeURI(pathPart));
  if (!file.startsWith(repo + path.sep)) return 'points outside the repository';
  if (!exists(file)) return 'no such file';
  if (anchor === undefined || anchor === '') return undefined;
  if (!file.endsWith('.md')) return 'an anchor into a file that is not Markdown';
  return anchorsOf(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor)) ? undefined : 'no such heading';
}

describe('the documentation links', () => {
  const files = markdownFiles();

  it('finds the README, the guides and the wire protocol', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/protocol.md', 'docs/guides/getting-started.md']));
  });

  it.each(files)('%s: every relative link reaches a file, and every anchor a heading', (file) => {
    const broken = relativeLinks(file)
      .map((link) => ({ link: link.target, problem: problem(link) }))
      .filter((entry) => entry.problem !== undefined);
    expect(broken).toEqual([]);
  });

  it('computes anchors as GitHub does', () => {
    const anchors = anchorsOf(
      [
        '## What a throw does',
        '## Testing your code: `rx-websocket/testing`',
        '### Heartbeat: half-open connections',
        '### subscribe with `since`: resume',
        '## Examples',
        '## Examples',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'what-a-throw-does',
      'testing-your-code-rx-websockettesting',
      'heartbeat-half-open-connections',
      'subscribe-with-since-resume',
      'examples',
      'examples-1',
    ]);
  });

  it('reports a missing file, a missing heading and a link within the page to no heading', () => {
    expect(problem({ from: 'README.md', target: 'docs/nope.md' })).toBe('no such file');
    expect(problem({ from: 'README.md', target: 'docs/protocol.md#nope' })).toBe('no such heading');
    expect(problem({ from: 'README.md', target: '#nope' })).toBe('no such heading');
    expect(problem({ from: 'README.md', target: 'docs/protocol.md#requests' })).toBeUndefined();
    expect(problem({ from: 'docs/guides/errors.md', target: '../../README.md#builds' })).toBeUndefined();
  });
});

/** The rows of the first table after `heading`, cells trimmed (column padding differs between files). */
function tableAfter(file: string, heading: string): string[][] {
  const text = readFileSync(path.join(repo, file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start === -1) return [];
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    if (/^\|[\s|:-]+\|$/.test(line)) continue;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('the guides and the README', () => {
  it('give the same "what a throw does" table', () => {
    const readme = tableAfter('README.md', '## What a throw does');
    expect(readme.length).toBeGreaterThan(5);
    expect(tableAfter('docs/guides/errors.md', '## What a throw does')).toEqual(readme);
  });

  it('give the same default close-code policy', () => {
    const readme = tableAfter('README.md', '### Reconnection');
    expect(readme.length).toBeGreaterThan(5);
    expect(tableAfter('docs/guides/reconnection.md', '## The options')).toEqual(readme);
  });
});
