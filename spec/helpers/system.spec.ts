import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftOutIn, skipLine, summary, type LeftOut } from './system-reporter';
import {
  findSystem,
  hostProbe,
  isCI,
  missingMessage,
  parsePlaceholder,
  placeholderTitle,
  requireSystem,
  SystemMissingError,
  systemPath,
  type Discovery,
  type SuiteRegistrar,
  type SystemProbe,
} from './system';

/** A machine where exactly `files` are executable. */
function machine(files: readonly string[], over: Partial<SystemProbe> = {}): SystemProbe & { looked: string[] } {
  const looked: string[] = [];
  return {
    env: {},
    platform: 'linux',
    distro: ['debian'],
    isExecutable: (path) => {
      looked.push(path);
      return files.includes(path);
    },
    playwrightChromium: () => '/home/dev/.cache/ms-playwright/chromium-1/chrome-linux64/chrome',
    looked,
    ...over,
  };
}

const missing = (discovery: Discovery): Discovery & { found: false } => {
  if (discovery.found) throw new Error(`expected ${discovery.tool} to be missing, found ${discovery.path}`);
  return discovery;
};

/** Records what requireSystem registers instead of handing it to jest. */
function registrar(): SuiteRegistrar & { calls: string[]; tests: Map<string, () => void> } {
  const calls: string[] = [];
  const tests = new Map<string, () => void>();
  return {
    calls,
    tests,
    describe(title, body) {
      calls.push(`describe ${title}`);
      body();
    },
    it(title, body) {
      calls.push(`it ${title}`);
      tests.set(title, body);
    },
    todo(title) {
      calls.push(`todo ${title}`);
    },
  };
}

describe('findSystem', () => {
  describe('with the environment variable set', () => {
    it('takes CHROMIUM_PATH as it is, without looking anywhere else', () => {
      const probe = machine(['/opt/chrome/chrome', '/usr/bin/chromium'], {
        env: { CHROMIUM_PATH: '/opt/chrome/chrome' },
      });
      expect(findSystem('chromium', probe)).toEqual({
        found: true,
        tool: 'chromium',
        path: '/opt/chrome/chrome',
        via: 'env',
      });
      expect(probe.looked).toEqual(['/opt/chrome/chrome']);
    });

    it('reports a value that is not an executable rather than falling back to another program', () => {
      const probe = machine(['/usr/sbin/nginx'], { env: { NGINX_PATH: '/opt/nginx/sbin/nginx' } });
      expect(findSystem('nginx', probe)).toEqual({
        found: false,
        tool: 'nginx',
        problem: 'NGINX_PATH is set to "/opt/nginx/sbin/nginx", which is not an executable file',
      });
    });

    it('treats an empty value as unset', () => {
      const probe = machine(['/usr/bin/redis-server'], { env: { REDIS_SERVER_PATH: '' } });
      expect(findSystem('redis-server', probe)).toMatchObject({ found: true, path: '/usr/bin/redis-server' });
    });
  });

  describe('on Linux', () => {
    it.each([
      ['Debian and Arch', '/usr/bin/chromium'],
      ['Fedora and Ubuntu', '/usr/bin/chromium-browser'],
      ['Ubuntu snap', '/snap/bin/chromium'],
      ['Google Chrome', '/opt/google/chrome/chrome'],
    ])("finds %s's Chromium at %s", (_where, path) => {
      expect(findSystem('chromium', machine([path]))).toEqual({ found: true, tool: 'chromium', path, via: 'location' });
    });

    it('finds nginx in /usr/sbin when sbin is not on PATH', () => {
      const probe = machine(['/usr/sbin/nginx'], { env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
      expect(findSystem('nginx', probe)).toEqual({
        found: true,
        tool: 'nginx',
        path: '/usr/sbin/nginx',
        via: 'location',
      });
    });

    it('prefers the nginx on PATH to the usual locations', () => {
      const probe = machine(['/usr/sbin/nginx', '/home/dev/nginx/bin/nginx'], {
        env: { PATH: '/usr/bin::/home/dev/nginx/bin' },
      });
      expect(findSystem('nginx', probe)).toMatchObject({ path: '/home/dev/nginx/bin/nginx', via: 'PATH' });
    });

    it.each(['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'])(
      'finds redis-server at %s',
      (path) => {
        expect(findSystem('redis-server', machine([path]))).toMatchObject({ found: true, path });
      },
    );

    it('looks at injected locations instead of the built-in ones', () => {
      const probe = machine(['/usr/bin/chromium', '/srv/browsers/chromium'], {
        locations: () => ['/srv/browsers/chromium'],
      });
      expect(findSystem('chromium', probe)).toMatchObject({ path: '/srv/browsers/chromium', via: 'location' });
    });
  });

  describe('on macOS', () => {
    it.each([
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Users/dev/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    ])('finds the app bundle %s', (path) => {
      const probe = machine([path], { platform: 'darwin', distro: [], env: { HOME: '/Users/dev' } });
      expect(findSystem('chromium', probe)).toMatchObject({ found: true, path });
    });

    it("finds Homebrew's nginx on Apple silicon", () => {
      const probe = machine(['/opt/homebrew/bin/nginx'], { platform: 'darwin', distro: [] });
      expect(findSystem('nginx', probe)).toMatchObject({ path: '/opt/homebrew/bin/nginx' });
    });
  });

  describe('on Windows', () => {
    const env = {
      ProgramFiles: 'D:\\Programs',
      'ProgramFiles(x86)': 'D:\\Programs (x86)',
      LOCALAPPDATA: 'C:\\Users\\dev\\AppData\\Local',
      PATH: 'C:\\Windows;C:\\tools\\nginx',
    };

    it.each([
      'D:\\Programs\\Google\\Chrome\\Application\\chrome.exe',
      'D:\\Programs (x86)\\Chromium\\Application\\chrome.exe',
      'C:\\Users\\dev\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe',
    ])('finds Chromium or Chrome at %s', (path) => {
      const probe = machine([path], { platform: 'win32', distro: [], env });
      expect(findSystem('chromium', probe)).toMatchObject({ found: true, path });
    });

    it('splits PATH on ";" and looks for nginx.exe', () => {
      const probe = machine(['C:\\tools\\nginx\\nginx.exe'], { platform: 'win32', distro: [], env });
      expect(findSystem('nginx', probe)).toMatchObject({ path: 'C:\\tools\\nginx\\nginx.exe', via: 'PATH' });
    });
  });

  describe("playwright's Chromium", () => {
    const downloaded = '/home/dev/.cache/ms-playwright/chromium-1/chrome-linux64/chrome';

    it('is the last resort', () => {
      expect(findSystem('chromium', machine([downloaded]))).toEqual({
        found: true,
        tool: 'chromium',
        path: downloaded,
        via: 'playwright',
      });
      expect(findSystem('chromium', machine([downloaded, '/usr/bin/chromium']))).toMatchObject({ via: 'location' });
    });

    it('counts only once downloaded', () => {
      expect(findSystem('chromium', machine([]))).toMatchObject({ found: false });
    });

    it('is not asked without playwright-core', () => {
      expect(findSystem('chromium', machine([downloaded], { playwrightChromium: () => undefined }))).toMatchObject({
        found: false,
      });
    });
  });

  it('says what it looked at when it finds nothing', () => {
    expect(missing(findSystem('chromium', machine([]))).problem).toBe(
      "chromium was not found (CHROMIUM_PATH is unset; looked in PATH, the usual install locations and playwright's browsers)",
    );
    expect(missing(findSystem('redis-server', machine([]))).problem).toBe(
      'redis-server was not found (REDIS_SERVER_PATH is unset; looked in PATH and the usual install locations)',
    );
  });
});

describe('isCI', () => {
  it.each(['true', 'TRUE', '1', 'yes'])('is true for CI=%s', (value) => expect(isCI({ CI: value })).toBe(true));
  it.each([undefined, '', '0', 'false', 'False'])('is false for CI=%s', (value) =>
    expect(isCI({ CI: value })).toBe(false),
  );
});

describe('missingMessage', () => {
  const suite = 'the dashboard in Chromium';

  it('says on a developer machine that the suite is skipped, and how to get the program', () => {
    const probe = machine([]);
    expect(missingMessage(missing(findSystem('chromium', probe)), suite, probe)).toBe(
      "chromium was not found (CHROMIUM_PATH is unset; looked in PATH, the usual install locations and playwright's " +
        'browsers), so "the dashboard in Chromium" (the browser specs) is skipped: install it with ' +
        '`apt-get install -y chromium` (as root), or `npx playwright-core install chromium`, or set CHROMIUM_PATH to ' +
        'its executable.',
    );
  });

  it('says under CI that the suite fails, and that .ci/run installs the program', () => {
    const probe = machine([], { env: { CI: 'true' } });
    expect(missingMessage(missing(findSystem('nginx', probe)), 'behind nginx', probe)).toBe(
      'nginx was not found (NGINX_PATH is unset; looked in PATH and the usual install locations), and CI is set, so ' +
        '"behind nginx" (the load-balancer reliability specs) fails instead of being skipped: install it with ' +
        '`apt-get install -y nginx` (as root), or set NGINX_PATH to its executable (.ci/run installs it on Debian).',
    );
  });

  it('keeps the problem with a wrong environment variable', () => {
    const probe = machine([], { env: { CHROMIUM_PATH: '/nowhere/chrome' } });
    expect(missingMessage(missing(findSystem('chromium', probe)), suite, probe)).toMatch(
      /^CHROMIUM_PATH is set to "\/nowhere\/chrome", which is not an executable file, so "the dashboard in Chromium"/,
    );
  });

  it.each<[string, Partial<SystemProbe>, string]>([
    ['Ubuntu', { distro: ['ubuntu', 'debian'] }, '`snap install chromium`'],
    ['Fedora', { distro: ['fedora'] }, '`dnf install -y chromium` (as root)'],
    ['Arch', { distro: ['arch'] }, '`pacman -S chromium` (as root)'],
    ['an unknown distribution', { distro: [] }, "your distribution's chromium package"],
    ['macOS', { platform: 'darwin', distro: [] }, '`brew install --cask chromium` (or Google Chrome)'],
    ['Windows', { platform: 'win32', distro: [] }, 'Google Chrome'],
  ])('names the install command for %s', (_where, over, command) => {
    const probe = machine([], over);
    expect(missingMessage(missing(findSystem('chromium', probe)), suite, probe)).toContain(
      `: install it with ${command}, or \`npx playwright-core install chromium\`, or set CHROMIUM_PATH`,
    );
  });

  it.each<[string, Partial<SystemProbe>, string]>([
    ['Debian', { distro: ['debian'] }, '`apt-get install -y redis-server` (as root)'],
    ['Fedora', { distro: ['rhel', 'fedora'] }, '`dnf install -y redis` (as root)'],
    ['macOS', { platform: 'darwin', distro: [] }, '`brew install redis`'],
    ['Windows', { platform: 'win32', distro: [] }, 'Redis inside WSL'],
  ])('names how to get redis-server on %s', (_where, over, command) => {
    const probe = machine([], over);
    expect(missingMessage(missing(findSystem('redis-server', probe)), 'the feed', probe)).toContain(
      `: install it with ${command}`,
    );
  });
});

describe('requireSystem(tool).describe(title, body)', () => {
  it('declares the suite as usual, handing it the path, when the program is there', () => {
    const suites = registrar();
    const paths: string[] = [];
    requireSystem('nginx', machine(['/usr/sbin/nginx']), suites).describe('behind nginx', (path) => paths.push(path));
    expect(paths).toEqual(['/usr/sbin/nginx']);
    expect(suites.calls).toEqual(['describe behind nginx']);
  });

  it('on a developer machine, replaces the suite with one announced todo', () => {
    const suites = registrar();
    const body = jest.fn();
    const probe = machine([]);
    requireSystem('chromium', probe, suites).describe('the dashboard in Chromium', body);
    expect(body).not.toHaveBeenCalled();
    const message = missingMessage(missing(findSystem('chromium', probe)), 'the dashboard in Chromium', probe);
    expect(suites.calls).toEqual([
      'describe the dashboard in Chromium',
      `todo ${placeholderTitle('chromium', message)}`,
    ]);
  });

  it('under CI, replaces the suite with one test that fails, saying how to install the program', () => {
    const suites = registrar();
    const body = jest.fn();
    const probe = machine([], { env: { CI: 'true' } });
    requireSystem('redis-server', probe, suites).describe('the feed with Redis', body);
    expect(body).not.toHaveBeenCalled();
    expect(suites.calls).toHaveLength(2);
    const [title, test] = [...suites.tests][0] ?? [];
    expect(title).toBe('missing system dependency redis-server');
    expect(parsePlaceholder(title ?? '')).toEqual({ tool: 'redis-server', message: '' });
    expect(test).toThrow(SystemMissingError);
    expect(test).toThrow(
      'redis-server was not found (REDIS_SERVER_PATH is unset; looked in PATH and the usual install locations), and ' +
        'CI is set, so "the feed with Redis" (the feed server specs with Redis) fails instead of being skipped: ' +
        'install it with `apt-get install -y redis-server` (as root), or set REDIS_SERVER_PATH to its executable ' +
        '(.ci/run installs it on Debian).',
    );
  });
});

describe('placeholder titles', () => {
  it('round-trip, and no other title parses', () => {
    expect(parsePlaceholder(placeholderTitle('nginx', 'gone: get it'))).toEqual({
      tool: 'nginx',
      message: 'gone: get it',
    });
    expect(parsePlaceholder(placeholderTitle('chromium'))).toEqual({ tool: 'chromium', message: '' });
    expect(parsePlaceholder('missing system dependency docker: no')).toBeUndefined();
    expect(parsePlaceholder('reconnects after the backoff delay')).toBeUndefined();
  });
});

describe('systemPath', () => {
  it('returns the path, or throws ERR_SYSTEM_MISSING saying how to get the program', () => {
    expect(systemPath('nginx', machine(['/usr/sbin/nginx']))).toBe('/usr/sbin/nginx');
    expect(() => systemPath('nginx', machine([]))).toThrow(
      expect.objectContaining({
        code: 'ERR_SYSTEM_MISSING',
        message:
          'nginx was not found (NGINX_PATH is unset; looked in PATH and the usual install locations), and the ' +
          'load-balancer reliability specs need it: install it with `apt-get install -y nginx` (as root), or set ' +
          'NGINX_PATH to its executable.',
      }),
    );
  });
});

describe('hostProbe().isExecutable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rx-websocket-system-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts an executable file and refuses a directory, a missing file and (off Windows) a plain file', () => {
    const plain = join(dir, 'plain');
    writeFileSync(plain, '');
    const { isExecutable, platform } = hostProbe();
    expect(isExecutable(process.execPath)).toBe(true);
    expect(isExecutable(dir)).toBe(false);
    expect(isExecutable(join(dir, 'absent'))).toBe(false);
    expect(isExecutable(plain)).toBe(platform === 'win32');
  });
});

describe('the system reporter', () => {
  const root = '/repo';
  const file = {
    testFilePath: '/repo/spec/integration/browser/dashboard.spec.ts',
    testResults: [
      { title: placeholderTitle('chromium', 'no chromium: get it'), ancestorTitles: ['the dashboard'], status: 'todo' },
      { title: 'shows the state', ancestorTitles: ['the dashboard'], status: 'passed' },
      { title: placeholderTitle('nginx', 'no nginx'), ancestorTitles: ['a', 'behind nginx'], status: 'failed' },
      { title: placeholderTitle('nginx', 'a passing test named like one'), ancestorTitles: [], status: 'passed' },
    ],
  };

  it('picks the skipped (todo) and failed placeholders of a file', () => {
    expect(leftOutIn(file, root)).toEqual<LeftOut[]>([
      {
        tool: 'chromium',
        file: 'spec/integration/browser/dashboard.spec.ts',
        suite: 'the dashboard',
        message: 'no chromium: get it',
        outcome: 'skipped',
      },
      {
        tool: 'nginx',
        file: 'spec/integration/browser/dashboard.spec.ts',
        suite: 'a › behind nginx',
        message: 'no nginx',
        outcome: 'failed',
      },
    ]);
  });

  it('announces a skipped suite on one line', () => {
    const [entry] = leftOutIn(file, root);
    expect(skipLine(entry as LeftOut)).toBe('SKIPPED spec/integration/browser/dashboard.spec.ts: no chromium: get it');
  });

  it('sums up at the end what was left out, by program, with how to get each', () => {
    const probe = machine([]);
    expect(summary([], probe)).toBeUndefined();
    const entries: LeftOut[] = [
      { tool: 'chromium', file: 'spec/a.spec.ts', suite: 'A', message: '', outcome: 'skipped' },
      { tool: 'nginx', file: 'spec/b.spec.ts', suite: 'B', message: '', outcome: 'skipped' },
      { tool: 'chromium', file: 'spec/c.spec.ts', suite: 'C', message: '', outcome: 'skipped' },
    ];
    expect(summary(entries, probe)?.split('\n')).toEqual([
      'Suites left out for want of a program: 3 skipped.',
      "  chromium was not found (CHROMIUM_PATH is unset; looked in PATH, the usual install locations and playwright's " +
        'browsers): install it with `apt-get install -y chromium` (as root), or `npx playwright-core install ' +
        'chromium`, or set CHROMIUM_PATH to its executable.',
      '    skipped spec/a.spec.ts › A',
      '    skipped spec/c.spec.ts › C',
      '  nginx was not found (NGINX_PATH is unset; looked in PATH and the usual install locations): install it with ' +
        '`apt-get install -y nginx` (as root), or set NGINX_PATH to its executable.',
      '    skipped spec/b.spec.ts › B',
      '  With CI=true these suites fail instead of being skipped.',
    ]);
  });

  it('counts the suites that failed under CI apart', () => {
    const probe = machine([], { env: { CI: 'true' } });
    const text = summary(
      [{ tool: 'nginx', file: 'spec/b.spec.ts', suite: 'B', message: '', outcome: 'failed' }],
      probe,
    );
    expect(text?.split('\n')[0]).toBe('Suites left out for want of a program: 1 failed (CI).');
    expect(text).toContain('    failed  spec/b.spec.ts › B');
    expect(text).not.toContain('With CI=true');
  });
});
