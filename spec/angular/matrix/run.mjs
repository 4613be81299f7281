// The Angular version matrix of rx-websocket/angular: for each major in matrix.json, from the package as published
// (`npm pack`), with that version's own packages installed in a workspace of its own under .tmp/angular-matrix/<major>
// (angular-<major>/package.json and its lockfile, installed with `npm ci`):
//
//   1. compiles a small application that uses the entry (app/) with that version's ngc: ahead of time, strictTemplates,
//      the library's .d.ts files checked by that version's TypeScript;
//   2. renders it on the server with that version's @angular/platform-server (render.mjs): nothing connects;
//   3. runs the entry's behaviour specs (spec/angular/*.spec.ts: zoneless TestBed with rx-websocket/testing, the server
//      platform) with Angular resolved from the workspace (jest.config.ts, resolver.cjs).
//
// A major that names a `node` version runs under that Node, installed from the npm registry's `node-<os>-<cpu>`
// package at that exact version into .tmp/node-<version>/ (Angular 22 needs a newer Node than the project's 20.19).
// Installs are skipped while the workspace matches its lockfile. `node spec/angular/matrix/run.mjs [major...]`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const scratch = path.join(root, '.tmp', 'angular-matrix');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A step that failed, with the line that says which and why. */
class MatrixError extends Error {}

function fail(message) {
  throw new MatrixError(message);
}

/** The longest any one step may take, in ms: a step that hangs fails the run rather than holding CI. */
const STEP_TIMEOUT_MS = 5 * 60_000;

/**
 * Runs a program, its output shown as it comes; fails with `what` when it exits non-zero or outlives
 * STEP_TIMEOUT_MS. `attempts` above 1 is for downloads only: a registry that drops a connection gets one more try.
 * Returns its time in ms, and its output when captured.
 */
function run(what, command, args, { cwd = root, env = {}, capture = false, attempts = 1 } = {}) {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const result = spawnSync(command, args, {
      cwd,
      stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
      encoding: 'utf8',
      timeout: STEP_TIMEOUT_MS,
      env: { ...process.env, NG_CLI_ANALYTICS: 'false', ...env },
    });
    if (result.error?.code === 'ENOENT') fail(`${what}: ${command} is not installed (or not on PATH)`);
    if (result.error?.code === 'ETIMEDOUT') fail(`${what} took more than ${STEP_TIMEOUT_MS / 1000} s`);
    if (result.error) fail(`${what}: could not run ${command} (${result.error.message})`);
    if (result.status === 0) return { ms: Date.now() - started, stdout: result.stdout ?? '' };
    if (attempt >= attempts) fail(`${what} failed (${command} exited with ${result.status ?? result.signal})`);
    console.log(`--- ${what} failed (exit ${result.status ?? result.signal}); trying once more`);
  }
}

/** `PATH` with `dir` first: npm's own scripts (`#!/usr/bin/env node`) then run under the Node in `dir`. */
function pathWith(dir) {
  const key = Object.keys(process.env).find((name) => name.toUpperCase() === 'PATH') ?? 'PATH';
  return { [key]: `${dir}${path.delimiter}${process.env[key] ?? ''}` };
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

async function newest(dir) {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) latest = Math.max(latest, mtime(path.join(entry.parentPath, entry.name)));
  return latest;
}

/** The Node to run a major under: this one, or the pinned version from the registry, installed once. */
function nodeFor(entry) {
  if (!entry.node) return { node: process.execPath, version: process.version, env: {}, times: {} };
  const os = { win32: 'win', darwin: 'darwin', linux: 'linux' }[process.platform];
  if (!os)
    fail(`Angular ${entry.angular} runs under Node ${entry.node}, which npm has no package of for ${process.platform}`);
  const name = `node-${os}-${process.arch}`;
  const dir = path.join(root, '.tmp', `node-${entry.node}`);
  const home = path.join(dir, 'node_modules', name);
  const node = process.platform === 'win32' ? path.join(home, 'node.exe') : path.join(home, 'bin', 'node');
  const times = {};
  if (!existsSync(node)) {
    console.log(`--- Node ${entry.node} for Angular ${entry.angular}: npm install ${name}@${entry.node}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    times.nodeInstallMs = run(
      `installing Node ${entry.node} (npm package ${name}@${entry.node})`,
      npm,
      [
        'install',
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        '--prefix',
        dir,
        `${name}@${entry.node}`,
      ],
      { attempts: 2 },
    ).ms;
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (version !== `v${entry.node}`)
    fail(`Node ${entry.node} for Angular ${entry.angular} is not usable at ${node} (it says ${version || 'nothing'})`);
  return { node, version, env: pathWith(path.dirname(node)), times };
}

/** Builds the library when its sources are newer than dist/, then packs it as npm would publish it. */
async function pack() {
  const built = mtime(path.join(root, 'dist', 'esm', 'angular', 'index.js'));
  const sources = Math.max(
    await newest(path.join(root, 'lib')),
    mtime(path.join(root, 'package.json')),
    mtime(path.join(root, 'scripts', 'build.mjs')),
  );
  const times = {};
  if (!built || sources > built)
    times.buildMs = run('building the library', process.execPath, [path.join(root, 'scripts', 'build.mjs')]).ms;
  await mkdir(scratch, { recursive: true });
  const packed = run('npm pack', npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {
    capture: true,
  });
  times.packMs = packed.ms;
  const [{ filename }] = JSON.parse(packed.stdout);
  return { tarball: path.join(scratch, filename), times };
}

/** Makes `.tmp/angular-matrix/<major>` hold exactly what the committed lockfile says, and the packed library. */
async function prepareWorkspace(entry, runtime, tarball) {
  const source = path.join(here, `angular-${entry.angular}`);
  const workspace = path.join(scratch, String(entry.angular));
  const times = {};
  await mkdir(workspace, { recursive: true });
  const lock = await readFile(path.join(source, 'package-lock.json'), 'utf8').catch(() =>
    fail(
      `spec/angular/matrix/angular-${entry.angular}/package-lock.json is missing: the matrix lists Angular ${entry.angular}`,
    ),
  );
  const installedLock = await readFile(path.join(workspace, 'package-lock.json'), 'utf8').catch(() => '');
  if (lock !== installedLock || !existsSync(path.join(workspace, 'node_modules', '.package-lock.json'))) {
    await cp(path.join(source, 'package.json'), path.join(workspace, 'package.json'));
    await writeFile(path.join(workspace, 'package-lock.json'), lock);
    times.npmCiMs = run(
      `npm ci for Angular ${entry.angular}`,
      npm,
      ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: workspace, env: runtime.env, attempts: 2 },
    ).ms;
  }
  const core = JSON.parse(
    await readFile(path.join(workspace, 'node_modules', '@angular', 'core', 'package.json'), 'utf8').catch(() =>
      fail(`@angular/core is not installed in ${workspace}; delete that folder and run again`),
    ),
  );
  if (Number(core.version.split('.')[0]) !== entry.angular)
    fail(
      `angular-${entry.angular}/package-lock.json installs @angular/core ${core.version}, not Angular ${entry.angular}`,
    );

  // The library as an application gets it from the registry: the packed files, in node_modules.
  const installed = path.join(workspace, 'node_modules', 'rx-websocket');
  await rm(installed, { recursive: true, force: true });
  await mkdir(installed, { recursive: true });
  run('unpacking the library (tar)', 'tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);

  // The application and the renderer, beside that version's packages so that their imports resolve there.
  const app = path.join(workspace, 'app');
  await rm(app, { recursive: true, force: true });
  await cp(path.join(here, 'app'), app, { recursive: true });
  await cp(path.join(here, 'render.mjs'), path.join(workspace, 'render.mjs'));
  return { workspace, angular: core.version, times };
}

/** Whether a Node version has type stripping (22.6 and later), which `--no-experimental-strip-types` turns off. */
function stripsTypes(version) {
  const [major, minor] = version.slice(1).split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 6);
}

async function runMajor(entry, tarball) {
  const started = Date.now();
  const runtime = nodeFor(entry);
  console.log(`\n=== Angular ${entry.angular} on Node ${runtime.version}`);
  const { workspace, angular, times } = await prepareWorkspace(entry, runtime, tarball);
  Object.assign(times, runtime.times);
  const compilerCli = path.join(workspace, 'node_modules', '@angular', 'compiler-cli');
  const ngc = path.join(
    compilerCli,
    JSON.parse(await readFile(path.join(compilerCli, 'package.json'), 'utf8')).bin.ngc,
  );
  times.ngcMs = run(`ngc (Angular ${angular}) on spec/angular/matrix/app`, runtime.node, [
    ngc,
    '-p',
    path.join(workspace, 'app', 'tsconfig.ngc.json'),
  ]).ms;
  times.renderMs = run(`server rendering with Angular ${angular}`, runtime.node, ['render.mjs'], {
    cwd: workspace,
    env: runtime.env,
  }).ms;
  times.jestMs = run(
    `the behaviour specs against Angular ${angular}`,
    runtime.node,
    [
      // Node 22.18+ strips types itself and would load jest.config.ts without ts-node, which the config needs.
      ...(stripsTypes(runtime.version) ? ['--no-experimental-strip-types'] : []),
      path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--ci',
      '--config',
      path.join(here, 'jest.config.ts'),
    ],
    {
      env: { ...runtime.env, RXWS_ANGULAR_WORKSPACE: workspace, RXWS_ANGULAR_MAJOR: String(entry.angular) },
    },
  ).ms;
  return { angular, node: runtime.version, totalMs: Date.now() - started, ...times };
}

async function main() {
  const { majors } = JSON.parse(await readFile(path.join(here, 'matrix.json'), 'utf8'));
  const asked = process.argv.slice(2).map(Number);
  const unknown = asked.filter((major) => !majors.some((entry) => entry.angular === major));
  if (unknown.length > 0) fail(`not in spec/angular/matrix/matrix.json: Angular ${unknown.join(', ')}`);
  const selected = asked.length > 0 ? majors.filter((entry) => asked.includes(entry.angular)) : majors;
  if (!existsSync(path.join(root, 'node_modules', 'jest')))
    fail('the project’s dependencies are not installed: run npm ci first');

  const started = Date.now();
  const { tarball, times } = await pack();
  const results = [];
  for (const entry of selected) results.push(await runMajor(entry, tarball));
  console.log(`\n--- rx-websocket/angular version matrix (${JSON.stringify(times)})`);
  for (const result of results) console.log(JSON.stringify(result));
  console.log(
    `angular matrix: ${results.map((result) => result.angular).join(', ')} green in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}

main().catch((error) => {
  console.error(`\nangular matrix: ${error instanceof MatrixError ? error.message : (error?.stack ?? error)}`);
  process.exitCode = 1;
});
