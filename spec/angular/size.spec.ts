// The size of rx-websocket/angular's own code, minified and gzipped: what an Angular application pays for the entry
// on top of the library's core (which `fromWebSocket` costs anyway), Angular and rxjs.
import { build } from 'esbuild';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { keepFigures } from '../helpers/figures';

/** The ceiling for the entry's own code, minified and gzipped. */
const ANGULAR_ENTRY_GZIP_CEILING_BYTES = 2_048;

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'lib', 'angular');

describe('rx-websocket/angular', () => {
  it(`costs at most ${ANGULAR_ENTRY_GZIP_CEILING_BYTES} bytes min+gz of its own`, async () => {
    const result = await build({
      entryPoints: [join(ENTRY, 'index.ts')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          // Everything outside lib/angular stays an import: packages, and the library's core.
          name: 'own-code-only',
          setup(pluginBuild) {
            pluginBuild.onResolve({ filter: /.*/ }, (args) => {
              if (args.kind === 'entry-point') return undefined;
              if (!args.path.startsWith('.')) return { path: args.path, external: true };
              const target = resolve(args.resolveDir, args.path);
              return relative(ENTRY, target).startsWith('..') ? { path: args.path, external: true } : undefined;
            });
          },
        },
      ],
    });
    const code = result.outputFiles[0]!.contents;
    const gzipBytes = gzipSync(code, { level: 9 }).byteLength;
    // Kept with the other figures, not printed in the middle of the run.
    keepFigures('angular-entry-size', { minBytes: code.byteLength, gzipBytes }, 'package');
    expect(gzipBytes).toBeLessThanOrEqual(ANGULAR_ENTRY_GZIP_CEILING_BYTES);
  });
});
