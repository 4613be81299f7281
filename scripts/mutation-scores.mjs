// The mutation score of each file of `lib/`, from one or more reports of `npm run mutate`
// (reports/mutation/mutation.json): a Markdown table for docs/mutation-testing.md, the totals of `lib/` and of
// `lib/core`, and with `--survivors` every mutant no spec killed, to triage.
//
//   node scripts/mutation-scores.mjs reports/mutation/mutation.json [more.json ...] [--survivors]
//
// Reports of separate runs of the same source (one per file or folder, or of a few lines again with
// `--mutate file:from-to` after specs were added) are merged: a mutant found in several takes its status from the last.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const survivors = args.includes('--survivors');
const reports = args.filter((arg) => !arg.startsWith('--'));
if (reports.length === 0) {
  console.error('Usage: node scripts/mutation-scores.mjs <mutation.json> [more.json ...] [--survivors]');
  process.exit(2);
}

/** @type {Map<string, { source: string, mutants: { id: string, mutatorName: string, replacement?: string, status: string, location: { start: { line: number, column: number } } }[] }>} */
const files = new Map();
/** A mutant's identity across runs of the same source: where it is and what it puts there. */
const keyOf = ({ location: { start, end }, mutatorName, replacement }) =>
  `${start.line}:${start.column}-${end.line}:${end.column} ${mutatorName} ${replacement ?? ''}`;
for (const report of reports) {
  const { files: found } = JSON.parse(readFileSync(report, 'utf8'));
  for (const [path, file] of Object.entries(found)) {
    const name = path.replace(/^.*?(?=lib\/)/, '');
    const before = files.get(name);
    if (!before) {
      files.set(name, file);
      continue;
    }
    const later = new Map(file.mutants.map((mutant) => [keyOf(mutant), mutant]));
    const mutants = before.mutants.map((mutant) => later.get(keyOf(mutant)) ?? mutant);
    const known = new Set(before.mutants.map(keyOf));
    files.set(name, {
      ...before,
      mutants: [...mutants, ...file.mutants.filter((mutant) => !known.has(keyOf(mutant)))],
    });
  }
}

/** Stryker's own accounting: detected (killed, timed out) over valid (detected, survived, no coverage). */
function count(mutants) {
  const by = (status) => mutants.filter((mutant) => mutant.status === status).length;
  const killed = by('Killed');
  const timedOut = by('Timeout');
  const survived = by('Survived');
  const noCoverage = by('NoCoverage');
  const valid = killed + timedOut + survived + noCoverage;
  const detected = killed + timedOut;
  const percent = (part, whole) => (whole === 0 ? 'n/a' : ((100 * part) / whole).toFixed(2));
  return {
    valid,
    killed,
    timedOut,
    survived,
    noCoverage,
    score: percent(detected, valid),
    covered: percent(detected, detected + survived),
  };
}

const rows = [...files.keys()].sort().map((name) => ({ name, ...count(files.get(name).mutants) }));
const total = (prefix) =>
  count([...files].filter(([name]) => name.startsWith(prefix)).flatMap(([, file]) => file.mutants));

const table = [
  ['file', 'mutants', 'killed', 'timed out', 'survived', 'no coverage', 'score', 'covered'],
  ...rows.map((row) => [
    `\`${row.name}\``,
    row.valid,
    row.killed,
    row.timedOut,
    row.survived,
    row.noCoverage,
    row.score,
    row.covered,
  ]),
  ...[
    ['**`lib/core`**', total('lib/core/')],
    ['**all of the above**', total('lib/')],
  ].map(([name, sum]) => [
    name,
    sum.valid,
    sum.killed,
    sum.timedOut,
    sum.survived,
    sum.noCoverage,
    sum.score,
    sum.covered,
  ]),
].map((cells) => cells.map(String));
const widths = table[0].map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
const line = (cells) =>
  `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
console.log(line(table[0]));
console.log(
  `| ${widths.map((width, column) => (column === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
);
for (const cells of table.slice(1)) console.log(line(cells));

if (survivors) {
  for (const name of [...files.keys()].sort()) {
    const { source, mutants } = files.get(name);
    const lines = source.split('\n');
    /** The text between two locations (lines from 1, columns from 1), on one line: the first line of it. */
    const slice = ({ start, end }) => {
      const line = lines[start.line - 1] ?? '';
      return start.line === end.line
        ? line.slice(start.column - 1, end.column - 1)
        : `${line.slice(start.column - 1)} …`;
    };
    for (const mutant of mutants) {
      if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
      const { line: at, column } = mutant.location.start;
      console.log(
        `\n${name}:${at}:${column} ${mutant.status} ${mutant.mutatorName} (#${mutant.id})\n  - ${slice(mutant.location)}\n  + ${(mutant.replacement ?? '').split('\n')[0]}`,
      );
    }
  }
}
