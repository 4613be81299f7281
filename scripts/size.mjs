// Measures what `fromWebSocket` costs a browser app: a minified ES module bundle of the library's own code
// (rxjs left out, as the app has it anyway), gzipped; and, for scale, the same with the rxjs it pulls in.
//
//   node scripts/size.mjs           prints the sizes
//   node scripts/size.mjs --json    prints them as JSON
//   node scripts/size.mjs --check   also fails when the library's own gzipped code exceeds the budget
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { inlineNativeWebSocket } from './native-web-socket.mjs';

/** The budget for the library's own code behind `fromWebSocket`, minified and gzipped. */
export const OWN_GZIP_BUDGET_BYTES = 4096;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function bundle(names, { rxjsExternal }) {
  const result = await build({
    stdin: {
      contents: `export { ${names.join(', ')} } from './lib/index.ts';`,
      resolveDir: root,
      sourcefile: 'size-entry.js',
      loader: 'js',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: rxjsExternal ? ['rxjs', 'rxjs/*'] : [],
    plugins: [inlineNativeWebSocket],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

export async function measure() {
  const own = await bundle(['fromWebSocket'], { rxjsExternal: true });
  const total = await bundle(['fromWebSocket'], { rxjsExternal: false });
  return { own, total, budgetBytes: OWN_GZIP_BUDGET_BYTES };
}

const args = process.argv.slice(2);
const sizes = await measure();
if (args.includes('--json')) {
  console.log(JSON.stringify(sizes));
} else {
  const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
  console.log(`fromWebSocket, own code (rxjs external): ${kb(sizes.own.minBytes)} min, ${kb(sizes.own.gzipBytes)} gz`);
  console.log(
    `fromWebSocket with rxjs bundled:         ${kb(sizes.total.minBytes)} min, ${kb(sizes.total.gzipBytes)} gz`,
  );
  console.log(`budget for own code:                     ${kb(sizes.budgetBytes)} gz`);
}
if (args.includes('--check') && sizes.own.gzipBytes > OWN_GZIP_BUDGET_BYTES) {
  console.error(
    `over budget: own code is ${sizes.own.gzipBytes} bytes gzipped, the budget is ${OWN_GZIP_BUDGET_BYTES}`,
  );
  process.exitCode = 1;
}
