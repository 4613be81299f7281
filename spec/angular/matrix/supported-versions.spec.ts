// What the project says it supports of Angular is what the version matrix (run.mjs) tests: the peer range in
// package.json, the versions named in the guide and the example's README, and the workspaces the matrix installs.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface MatrixEntry {
  readonly angular: number;
  readonly node?: string;
}
interface Manifest {
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
}
interface Lockfile {
  readonly packages: Record<string, { readonly version?: string }>;
}

const ROOT = resolve(__dirname, '..', '..', '..');
const read = (...path: string[]): string => readFileSync(join(ROOT, ...path), 'utf8');
const readJson = <T>(...path: string[]): T => JSON.parse(read(...path)) as T;

const { majors } = readJson<{ majors: readonly MatrixEntry[] }>('spec', 'angular', 'matrix', 'matrix.json');
const tested = majors.map((entry) => entry.angular);
const range = `>=${tested[0]} <${tested[tested.length - 1]! + 1}`;
/** "Angular 20, 21 and 22", as the documents say it. */
const named = `Angular ${tested.slice(0, -1).join(', ')}${tested.length > 1 ? ' and ' : ''}${tested[tested.length - 1]}`;
const ANGULAR_PEERS = ['@angular/core', '@angular/common'];

describe('the supported Angular versions', () => {
  it('are consecutive majors, so that one range says them', () => {
    expect(tested.length).toBeGreaterThan(0);
    tested.forEach((major, index) => expect(major).toBe(tested[0]! + index));
  });

  it('are the optional peer range of package.json', () => {
    const manifest = readJson<Manifest>('package.json');
    for (const peer of ANGULAR_PEERS) {
      expect([peer, manifest.peerDependencies?.[peer]]).toEqual([peer, range]);
      expect([peer, manifest.peerDependenciesMeta?.[peer]?.optional]).toEqual([peer, true]);
    }
  });

  it('are the ones the guide and the example state', () => {
    for (const document of [['README.md'], ['docs', 'guides', 'angular.md'], ['examples', 'angular', 'README.md']]) {
      // Markdown wraps lines anywhere: compare with every run of white space as one space.
      const text = read(...document).replace(/\s+/g, ' ');
      expect([document.join('/'), text.includes(`\`${range}\``)]).toEqual([document.join('/'), true]);
      expect([document.join('/'), text.includes(`tested with ${named}`)]).toEqual([document.join('/'), true]);
    }
  });

  it('each have a workspace pinned to one release of that major, with its lockfile', () => {
    const workspaces = readdirSync(join(ROOT, 'spec', 'angular', 'matrix'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && /^angular-\d+$/.test(entry.name))
      .map((entry) => Number(entry.name.slice('angular-'.length)))
      .sort((a, b) => a - b);
    expect(workspaces).toEqual(tested);
    for (const major of tested) {
      const dir = ['spec', 'angular', 'matrix', `angular-${major}`];
      const pins = Object.entries(readJson<Manifest>(...dir, 'package.json').dependencies ?? {}).filter(([name]) =>
        name.startsWith('@angular/'),
      );
      expect(pins.map(([name]) => name)).toEqual(expect.arrayContaining(ANGULAR_PEERS));
      const release = pins[0]![1];
      expect(release).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
      for (const [name, version] of pins) expect([name, version]).toEqual([name, release]);
      const lock = readJson<Lockfile>(...dir, 'package-lock.json');
      for (const [name] of pins)
        expect([name, lock.packages[`node_modules/${name}`]?.version]).toEqual([name, release]);
    }
  });

  it('run under a pinned Node release where one is named', () => {
    for (const entry of majors) if (entry.node !== undefined) expect(entry.node).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
