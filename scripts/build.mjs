// Builds the published package into dist/:
//
//   dist/esm/      ES modules for Node and bundlers, one file per source module, with `.d.ts` beside them
//   dist/cjs/      CommonJS, one file per source module, with `.d.ts` beside them (its package.json says commonjs)
//   dist/browser/  ES modules for browsers: as dist/esm, but `isomorphic-ws` is replaced by native-web-socket.js
//                  (the platform's own WebSocket), so no bundler ever reaches `ws` or a Node built-in; without the
//                  Node code path, the option checks and the full error messages (the production build)
//                  and with lib's internal members renamed to short names (scripts/private-names.cjs)
//   dist/browser-dev/  the same with the option checks, full messages and private names (the `development` condition)
//   dist/src/      the TypeScript sources that the source maps and declaration maps point to
//
// Every output keeps the module structure of lib/: `rx-websocket`, `rx-websocket/testing` and `rx-websocket/angular`
// import the same files, so classes and constants are shared between the entry points of one format.
// rxjs, ws, isomorphic-ws and @angular/* (and any other package) stay imports; they are never bundled.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_WEB_SOCKET } from './native-web-socket.mjs';
import privateNamesModule from './private-names.cjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = path.join(root, 'lib');
// `--out-dir <dir>` builds somewhere else than dist/ (the package specs build into a temporary folder).
const outDirFlag = process.argv.indexOf('--out-dir');
const dist = outDirFlag === -1 ? path.join(root, 'dist') : path.resolve(process.argv[outDirFlag + 1] ?? 'dist');
// The build starts by deleting its output folder: only ever one named dist, and never one holding the sources.
if (path.basename(dist) !== 'dist' || !path.relative(dist, root).startsWith('..')) {
  throw new Error(`refusing to build into ${dist}: the output folder must be named dist and lie outside the sources`);
}
const declarationsTmp = path.join(dist, '.types');
const src = path.join(dist, 'src');
const target = 'es2022';

/** Every `.ts` source under `dir`, as absolute paths. */
async function sources(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.spec.ts'))
      found.push(full);
  }
  return found.sort();
}

async function isFile(file) {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `./x` → `./x.js`, `./dir` → `./dir/index.js`, as it resolves from `importer` among the sources. */
async function withExtension(specifier, importerDir) {
  const absolute = path.resolve(importerDir, specifier);
  if (await isFile(`${absolute}.ts`)) return `${specifier}.js`;
  if (await isFile(path.join(absolute, 'index.ts'))) return `${specifier}/index.js`;
  throw new Error(`cannot resolve ${specifier} from ${path.relative(root, importerDir)}`);
}

/**
 * Keeps each source module its own output file: relative imports stay imports, with the `.js` extension Node's
 * ES module loader needs. Packages stay imports too (`packages: 'external'`).
 */
const perModule = {
  name: 'per-module',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.?(\/|$)/ }, async (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: await withExtension(args.path, args.resolveDir), external: true };
    });
  },
};

/** The browser build imports its own native-web-socket.js where the others import `isomorphic-ws`. */
const nativeWebSocketModule = {
  name: 'native-web-socket-module',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^isomorphic-ws$/ }, (args) => {
      const relative = path.relative(args.resolveDir, path.join(lib, 'native-web-socket.js')).split(path.sep).join('/');
      return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
    });
  },
};

/**
 * The flags each output sets (see lib/core/build-flags.d.ts): the browser builds have no Node code path, and the
 * production browser build (the default `browser` condition) leaves out option checks and full error messages, which
 * the `development` condition's build keeps. The Node builds set nothing: everything stays in.
 */
const FLAGS = {
  esm: {},
  cjs: {},
  browser: { __RXWS_DEV__: 'false', __RXWS_BROWSER__: 'true' },
  'browser-dev': { __RXWS_DEV__: 'true', __RXWS_BROWSER__: 'true' },
};

/**
 * The production browser build renames lib's internal members (only those: never the public API, option names, event
 * fields, or a property of the platform or of RxJS), each to the one short name the cache gives it in every module and
 * entry point.
 */
const MANGLED = { browser: true };

async function buildFormat(entryPoints, name, format, plugins, renaming) {
  const outdir = path.join(dist, name);
  const browser = name.startsWith('browser');
  await build({
    entryPoints,
    outbase: lib,
    outdir,
    bundle: true,
    packages: 'external',
    format,
    platform: browser ? 'browser' : 'neutral',
    define: FLAGS[name],
    ...(MANGLED[name] && renaming),
    // Folds what the flags turn off, and drops it, in each module: apps get it gone whatever their bundler.
    minifySyntax: browser,
    target,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    plugins: [...plugins, perModule],
  });
  await writeFile(
    path.join(outdir, 'package.json'),
    `${JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs', sideEffects: false }, null, 2)}\n`,
  );
}

const RELATIVE_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?(?:\/[^'"]*)?)\2/g;

/** Adds extensions to the relative specifiers of a declaration file, so that `node16`/`nodenext` resolve them. */
async function rewriteDeclaration(text, sourceDir) {
  const replacements = [];
  for (const match of text.matchAll(RELATIVE_SPECIFIER)) {
    const [whole, before, quote, specifier] = match;
    replacements.push([whole, `${before}${quote}${await withExtension(specifier, sourceDir)}${quote}`]);
  }
  for (const [from, to] of replacements) text = text.replace(from, to);
  return text;
}

/** Points a source map (JS or declaration) at the copy of its source in dist/src. */
function repointMap(json, mapFile) {
  const map = JSON.parse(json);
  map.sourceRoot = '';
  map.sources = map.sources.map((source) => {
    const absolute = path.resolve(path.dirname(mapFile), source);
    if (!absolute.startsWith(lib + path.sep)) return source;
    return path
      .relative(path.dirname(mapFile), path.join(src, path.relative(lib, absolute)))
      .split(path.sep)
      .join('/');
  });
  return JSON.stringify(map);
}

async function repointMaps(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.map')) continue;
    const file = path.join(entry.parentPath, entry.name);
    await writeFile(file, repointMap(await readFile(file, 'utf8'), file));
  }
}

async function emitDeclarations() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const args = [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', declarationsTmp];
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status})`);
  const files = (await readdir(declarationsTmp, { recursive: true })).filter((file) => file.endsWith('.d.ts'));
  for (const relative of files) {
    const sourceDir = path.dirname(path.join(lib, relative));
    const text = await rewriteDeclaration(await readFile(path.join(declarationsTmp, relative), 'utf8'), sourceDir);
    const map = await readFile(path.join(declarationsTmp, `${relative}.map`), 'utf8');
    for (const name of ['esm', 'cjs']) {
      const out = path.join(dist, name, relative);
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, text);
      // tsc wrote the map beside the declaration at the same depth, so its relative source paths still hold here.
      await writeFile(`${out}.map`, repointMap(map, path.join(declarationsTmp, `${relative}.map`)));
    }
  }
  await rm(declarationsTmp, { recursive: true, force: true });
}

async function main() {
  const started = Date.now();
  await rm(dist, { recursive: true, force: true });
  const entryPoints = await sources(lib);
  const names = privateNamesModule.privateNames();
  const renaming = {
    mangleProps: privateNamesModule.manglePattern(names),
    mangleCache: await privateNamesModule.mangleCache(undefined, names),
  };
  await Promise.all([
    buildFormat(entryPoints, 'esm', 'esm', [], renaming),
    buildFormat(entryPoints, 'cjs', 'cjs', [], renaming),
    buildFormat(entryPoints, 'browser', 'esm', [nativeWebSocketModule], renaming),
    buildFormat(entryPoints, 'browser-dev', 'esm', [nativeWebSocketModule], renaming),
  ]);
  for (const name of ['browser', 'browser-dev'])
    await writeFile(path.join(dist, name, 'native-web-socket.js'), NATIVE_WEB_SOCKET);
  await Promise.all(['esm', 'cjs', 'browser', 'browser-dev'].map((name) => repointMaps(path.join(dist, name))));
  await emitDeclarations();
  await cp(lib, src, {
    recursive: true,
    filter: (file) => !file.endsWith('.spec.ts'),
  });
  console.log(
    `built ${entryPoints.length} modules into ${path.relative(root, dist) || '.'} in ${Date.now() - started} ms`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
