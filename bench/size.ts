/**
 * `npm run size`: what each app costs a browser, for rx-websocket's own apps and the peers, measured as
 * bench/bundle-size.ts says, with each of our apps against its budget. `--json` prints the rows as JSON;
 * `--attribution` adds, for each of our apps, where its own bytes come from (per module: minified bytes, and what the
 * module adds to the gzipped bundle). Exits non-zero when an app is over its budget.
 */
import { resolve } from 'node:path';
import { DEFAULT_APP_ID, FEATURE_COST_CEILINGS, measureBundles, OWN_GZIP_BUDGETS } from './bundle-size';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const rows = await measureBundles(root);
  const over = rows.filter((row) => {
    const budget = OWN_GZIP_BUDGETS[row.id];
    return budget !== undefined && (row.ownGzipBytes ?? Infinity) > budget;
  });
  const defaultApp = rows.find((row) => row.id === DEFAULT_APP_ID);
  // What an opt-in feature adds to the default app, own code min+gz.
  const costOf = (id: string): number | undefined => {
    const row = rows.find((candidate) => candidate.id === id);
    return row?.ownGzipBytes === undefined || defaultApp?.ownGzipBytes === undefined
      ? undefined
      : row.ownGzipBytes - defaultApp.ownGzipBytes;
  };
  const tooCostly = Object.entries(FEATURE_COST_CEILINGS).filter(([id, ceiling]) => (costOf(id) ?? Infinity) > ceiling);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    const cell = (value: number | string | undefined): string =>
      (value === undefined ? '—' : String(value)).padStart(9);
    const headings = ['own gz', 'own br', 'total gz', 'total br', 'budget', '+feature', 'ceiling'];
    console.log(`${'app'.padEnd(44)}${headings.map(cell).join('')}`);
    for (const row of rows)
      console.log(
        row.label.padEnd(44) +
          [
            row.ownGzipBytes,
            row.ownBrotliBytes,
            row.totalGzipBytes,
            row.totalBrotliBytes,
            OWN_GZIP_BUDGETS[row.id],
            FEATURE_COST_CEILINGS[row.id] === undefined ? undefined : costOf(row.id),
            FEATURE_COST_CEILINGS[row.id],
          ]
            .map(cell)
            .join(''),
      );
    console.log(
      'bytes; production browser build, minified; own = without RxJS; +feature = own gz less the default app’s',
    );
    if (process.argv.includes('--attribution'))
      for (const row of rows.filter((candidate) => candidate.ownInputs.some(({ file }) => file.startsWith('lib/')))) {
        console.log(`\n${row.label}: own code per module (min, +gz: the gzipped bundle less the bundle without it)`);
        for (const { file, minBytes, gzipBytes } of row.ownInputs)
          console.log(`${file.padEnd(44)}${cell(minBytes)}${cell(gzipBytes)}`);
      }
  }
  for (const row of over)
    console.error(`over budget: ${row.label} is ${row.ownGzipBytes} B gz, the budget is ${OWN_GZIP_BUDGETS[row.id]} B`);
  for (const [id, ceiling] of tooCostly)
    console.error(`over its ceiling: ${id} adds ${costOf(id)} B gz to the default app, the ceiling is ${ceiling} B`);
  if (over.length > 0 || tooCostly.length > 0) process.exitCode = 1;
}

void main();
