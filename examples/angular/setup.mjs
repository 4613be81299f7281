// Makes the Angular CLI example ready to serve, as an application would get it:
//
//   1. builds the library (dist/), which the example installs by package name (`"rx-websocket": "file:../.."`,
//      copied rather than linked: see .npmrc);
//   2. installs the example's own dependencies with `npm ci` when they are missing or older than its lockfile
//      (Angular 21 and TypeScript 5.9 there, whatever the library itself is built with); otherwise refreshes only the
//      copy of rx-websocket;
//   3. builds it with `ng build` (AOT, strictTemplates, browser and server bundles) into .tmp/angular-example/dist.
//
// Steps whose inputs have not changed since the last run are skipped. `npm run typecheck` runs this (the AOT build is
// the example's type check), and so do the specs that serve it. `node examples/angular/setup.mjs --force` redoes all.
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
/** Where the build goes: outside the sources, ignored by git, the linter and the formatter. */
export const OUTPUT = path.join(root, '.tmp', 'angular-example', 'dist');
const stampFile = path.join(root, '.tmp', 'angular-example', 'inputs.json');
const force = process.argv.includes('--force');

function run(command, args, cwd) {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NG_CLI_ANALYTICS: 'false', NG_FORCE_TTY: 'false' },
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
  return Date.now() - started;
}

async function mtime(file) {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time under `dir` (files only), skipping node_modules. */
async function newest(dir) {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.parentPath.includes('node_modules')) continue;
    latest = Math.max(latest, await mtime(path.join(entry.parentPath, entry.name)));
  }
  return latest;
}

async function readStamp() {
  try {
    return JSON.parse(await readFile(stampFile, 'utf8'));
  } catch {
    return {};
  }
}

export async function setUpAngularExample() {
  const stamp = await readStamp();
  const times = {};
  const libInputs = Math.max(await newest(path.join(root, 'lib')), await mtime(path.join(root, 'package.json')));
  const exampleInputs = Math.max(
    await newest(path.join(here, 'src')),
    await newest(path.join(root, 'examples', 'dashboard')),
    ...(await Promise.all(
      ['angular.json', 'tsconfig.json', 'package.json'].map((file) => mtime(path.join(here, file))),
    )),
  );
  const lockfile = await mtime(path.join(here, 'package-lock.json'));
  const installed = await mtime(path.join(here, 'node_modules', '.package-lock.json'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

  const libChanged =
    force || stamp.lib !== libInputs || !(await mtime(path.join(root, 'dist', 'esm', 'angular', 'index.js')));
  if (libChanged) times.libraryBuildMs = run(process.execPath, [path.join(root, 'scripts', 'build.mjs')], root);

  if (force || installed === 0 || installed < lockfile) {
    times.npmCiMs = run(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], here);
  } else if (libChanged) {
    // The example holds a copy of the package: put the new build in it, as a reinstall would.
    const copy = path.join(here, 'node_modules', 'rx-websocket');
    await rm(path.join(copy, 'dist'), { recursive: true, force: true });
    await cp(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true });
    await cp(path.join(root, 'package.json'), path.join(copy, 'package.json'));
  }

  const built = await mtime(path.join(OUTPUT, 'server', 'server.mjs'));
  if (force || libChanged || !built || stamp.example !== exampleInputs) {
    times.ngBuildMs = run(
      process.execPath,
      [path.join(here, 'node_modules', '@angular', 'cli', 'bin', 'ng.js'), 'build'],
      here,
    );
  }
  await mkdir(path.dirname(stampFile), { recursive: true });
  await writeFile(stampFile, `${JSON.stringify({ lib: libInputs, example: exampleInputs })}\n`);
  return times;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  setUpAngularExample().then(
    (times) => console.log(`angular example ready in ${Date.now() - started} ms ${JSON.stringify(times)}`),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
