import { spawnSync } from 'node:child_process';
import path from 'node:path';

// What `npm pack` would ship from this working tree as it is (specs, docs, .tmp, test-artifacts and the generated site
// lying around): `files` in package.json must keep all of it out. spec/package/consumers.spec.ts checks the built
// package itself.

const repo = path.resolve(__dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const TOP_LEVEL = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];
/** The build's outputs (scripts/build.mjs); dist/.types is a temporary folder of the build. */
const DIST = /^dist\/(esm|cjs|browser|browser-dev|src)\//;

/** Whether a packed path may ship. */
function allowed(file: string): boolean {
  if (TOP_LEVEL.includes(file)) return true;
  if (!DIST.test(file)) return false;
  return !/\.(spec|test)\.ts$/.test(file) && !file.endsWith('.tsbuildinfo');
}

describe('npm pack', () => {
  it('ships only the builds, the README, the licence, the changelog and package.json', () => {
    const result = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    const [pack] = JSON.parse(result.stdout) as { files: { path: string }[] }[];
    const files = (pack?.files ?? []).map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(TOP_LEVEL));
    expect(files.filter((file) => !allowed(file))).toEqual([]);
  });

  it('tells what may ship from what may not', () => {
    expect(
      ['README.md', 'dist/esm/index.js', 'dist/src/core/session.ts', 'dist/cjs/index.js.map'].filter(allowed),
    ).toHaveLength(4);
    expect(
      [
        'docs/api/index.html',
        'spec/core/x.spec.ts',
        '.tmp/x',
        'test-artifacts/a.json',
        'dist/.types/index.d.ts',
        'lib/index.ts',
      ].filter(allowed),
    ).toEqual([]);
  });
});
