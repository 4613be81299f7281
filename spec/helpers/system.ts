/**
 * The programs some suites need from the system (a browser, nginx, redis-server): where to find them on Linux, macOS
 * and Windows, and what a suite does when one is missing. Under CI (`CI=true`) it fails, saying how to install the
 * program; on a developer's machine it is skipped, announced by one line during the run and listed again at the end
 * (see `system-reporter.ts`).
 *
 * Everything that depends on the machine comes in through a {@link SystemProbe}, so the specs of this file can give
 * it any environment, platform and file system.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { posix, win32 } from 'node:path';

/** A program that some suites need and npm does not install. */
export type SystemTool = 'chromium' | 'nginx' | 'redis-server';

export const SYSTEM_TOOLS: readonly SystemTool[] = ['chromium', 'nginx', 'redis-server'];

/** What discovery may know about the machine; {@link hostProbe} reads the real one. */
export interface SystemProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  /** `ID` and `ID_LIKE` of /etc/os-release (Linux), lower case: picks the install command to suggest. */
  readonly distro: readonly string[];
  /** Whether `path` is a file that may be run. */
  isExecutable(path: string): boolean;
  /** Overrides the built-in install locations of `tool` (the ones looked at after PATH). */
  locations?(tool: SystemTool): readonly string[];
  /** Where playwright-core keeps its own Chromium (installed or not), when playwright-core is there. */
  playwrightChromium?(): string | undefined;
}

/** Where a program was found, or why it was not. */
export type Discovery =
  | { readonly found: true; readonly tool: SystemTool; readonly path: string; readonly via: DiscoveryVia }
  | { readonly found: false; readonly tool: SystemTool; readonly problem: string };

/** `env`: the tool's own environment variable; `location`: a usual install location; `PATH`; `playwright`. */
export type DiscoveryVia = 'env' | 'location' | 'PATH' | 'playwright';

interface ToolFacts {
  /** The variable that names the executable, tried first and alone when set. */
  readonly envVar: string;
  /** Which suites need it, for messages. */
  readonly neededBy: string;
  /** Names to look for in PATH (without `.exe`). */
  readonly commands: readonly string[];
  readonly locations: (platform: NodeJS.Platform, env: SystemProbe['env']) => readonly string[];
  readonly install: (platform: NodeJS.Platform, distro: readonly string[]) => string;
  readonly playwright: boolean;
}

const isDebian = (distro: readonly string[]): boolean => distro.includes('debian') || distro.includes('ubuntu');
const isFedora = (distro: readonly string[]): boolean =>
  distro.includes('fedora') || distro.includes('rhel') || distro.includes('centos');
const isArch = (distro: readonly string[]): boolean => distro.includes('arch');

/** Program Files and the user's own programs folder, as Windows names them (the defaults when unset). */
function windowsProgramDirs(env: SystemProbe['env']): string[] {
  return [
    env['ProgramFiles'] ?? env['PROGRAMFILES'] ?? 'C:\\Program Files',
    env['ProgramFiles(x86)'] ?? env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)',
    ...[env['LOCALAPPDATA']].filter((dir): dir is string => !!dir),
  ];
}

const FACTS: Readonly<Record<SystemTool, ToolFacts>> = {
  chromium: {
    envVar: 'CHROMIUM_PATH',
    neededBy: 'the browser specs',
    commands: ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'],
    locations(platform, env) {
      if (platform === 'darwin') {
        const bundles = [
          'Chromium.app/Contents/MacOS/Chromium',
          'Google Chrome.app/Contents/MacOS/Google Chrome',
          'Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
        ];
        const roots = ['/Applications', ...(env['HOME'] ? [posix.join(env['HOME'], 'Applications')] : [])];
        return roots.flatMap((root) => bundles.map((bundle) => posix.join(root, bundle)));
      }
      if (platform === 'win32') {
        return windowsProgramDirs(env).flatMap((dir) => [
          win32.join(dir, 'Chromium', 'Application', 'chrome.exe'),
          win32.join(dir, 'Google', 'Chrome', 'Application', 'chrome.exe'),
        ]);
      }
      return [
        '/usr/bin/chromium', // Debian, Arch
        '/usr/bin/chromium-browser', // Fedora, Ubuntu
        '/usr/lib/chromium/chromium',
        '/snap/bin/chromium',
        '/usr/bin/google-chrome-stable',
        '/usr/bin/google-chrome',
        '/opt/google/chrome/chrome',
      ];
    },
    install(platform, distro) {
      const anywhere = '`npx playwright-core install chromium`';
      if (platform === 'darwin') return `\`brew install --cask chromium\` (or Google Chrome), or ${anywhere}`;
      if (platform === 'win32') return `Google Chrome, or ${anywhere}`;
      if (isDebian(distro) && distro.includes('ubuntu')) return `\`snap install chromium\`, or ${anywhere}`;
      if (isDebian(distro)) return `\`apt-get install -y chromium\` (as root), or ${anywhere}`;
      if (isFedora(distro)) return `\`dnf install -y chromium\` (as root), or ${anywhere}`;
      if (isArch(distro)) return `\`pacman -S chromium\` (as root), or ${anywhere}`;
      return `your distribution's chromium package, or ${anywhere}`;
    },
    playwright: true,
  },
  nginx: {
    envVar: 'NGINX_PATH',
    neededBy: 'the load-balancer reliability specs',
    commands: ['nginx'],
    locations(platform) {
      if (platform === 'win32') return ['C:\\nginx\\nginx.exe'];
      return [
        '/usr/sbin/nginx', // Debian, Fedora: sbin is often missing from a user's PATH
        '/usr/local/sbin/nginx',
        '/sbin/nginx',
        '/usr/bin/nginx', // Arch
        '/usr/local/nginx/sbin/nginx', // built from source
        '/opt/homebrew/bin/nginx', // Homebrew on Apple silicon
        '/usr/local/bin/nginx', // Homebrew on Intel
        '/opt/local/sbin/nginx', // MacPorts
      ];
    },
    install(platform, distro) {
      if (platform === 'darwin') return '`brew install nginx`';
      if (platform === 'win32') return 'the Windows build from nginx.org';
      if (isDebian(distro)) return '`apt-get install -y nginx` (as root)';
      if (isFedora(distro)) return '`dnf install -y nginx` (as root)';
      if (isArch(distro)) return '`pacman -S nginx` (as root)';
      return "your distribution's nginx package";
    },
    playwright: false,
  },
  'redis-server': {
    envVar: 'REDIS_SERVER_PATH',
    neededBy: 'the feed server specs with Redis',
    commands: ['redis-server'],
    locations(platform) {
      if (platform === 'win32') return [];
      return [
        '/usr/bin/redis-server',
        '/usr/local/bin/redis-server', // built from source, or Homebrew on Intel
        '/opt/homebrew/bin/redis-server', // Homebrew on Apple silicon
        '/usr/sbin/redis-server',
        '/opt/local/bin/redis-server', // MacPorts
      ];
    },
    install(platform, distro) {
      if (platform === 'darwin') return '`brew install redis`';
      if (platform === 'win32') return 'Redis inside WSL (there is no native Windows redis-server)';
      if (isDebian(distro)) return '`apt-get install -y redis-server` (as root)';
      if (isFedora(distro)) return '`dnf install -y redis` (as root)';
      if (isArch(distro)) return '`pacman -S valkey` (as root, then REDIS_SERVER_PATH=/usr/bin/valkey-server)';
      return "your distribution's Redis server package";
    },
    playwright: false,
  },
};

/** The environment variable that names `tool`'s executable. */
export function envVarOf(tool: SystemTool): string {
  return FACTS[tool].envVar;
}

/** The directories of PATH, in order. */
function pathDirs(probe: SystemProbe): string[] {
  const path = probe.env['PATH'] ?? probe.env['Path'] ?? '';
  return path.split(probe.platform === 'win32' ? ';' : ':').filter((dir) => dir !== '');
}

/**
 * Looks for `tool`: its environment variable alone when set (a wrong value is reported, not worked around), then
 * PATH, then the usual install locations (sbin directories, Homebrew, macOS app bundles, Program Files...), then
 * (Chromium only) the browser playwright-core downloads.
 */
export function findSystem(tool: SystemTool, probe: SystemProbe = hostProbe()): Discovery {
  const facts = FACTS[tool];
  const fromEnv = probe.env[facts.envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    return probe.isExecutable(fromEnv)
      ? { found: true, tool, path: fromEnv, via: 'env' }
      : { found: false, tool, problem: `${facts.envVar} is set to "${fromEnv}", which is not an executable file` };
  }
  const join = probe.platform === 'win32' ? win32.join : posix.join;
  const suffix = probe.platform === 'win32' ? '.exe' : '';
  for (const dir of pathDirs(probe)) {
    for (const command of facts.commands) {
      const path = join(dir, command + suffix);
      if (probe.isExecutable(path)) return { found: true, tool, path, via: 'PATH' };
    }
  }
  const locations = probe.locations?.(tool) ?? facts.locations(probe.platform, probe.env);
  for (const path of locations) {
    if (probe.isExecutable(path)) return { found: true, tool, path, via: 'location' };
  }
  if (facts.playwright) {
    const path = probe.playwrightChromium?.();
    if (path !== undefined && probe.isExecutable(path)) return { found: true, tool, path, via: 'playwright' };
  }
  const looked = ['PATH', 'the usual install locations', ...(facts.playwright ? ["playwright's browsers"] : [])];
  return {
    found: false,
    tool,
    problem: `${tool} was not found (${facts.envVar} is unset; looked in ${looked.join(', ').replace(/, ([^,]*)$/, ' and $1')})`,
  };
}

/** Whether `env` says this is a CI run: `CI` set to anything but empty, `0` or `false`. */
export function isCI(env: SystemProbe['env']): boolean {
  const ci = env['CI']?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** How to get `tool` on the probed machine, or how to point the tests at one that is there. */
export function howToGet(tool: SystemTool, probe: SystemProbe): string {
  const facts = FACTS[tool];
  return `install it with ${facts.install(probe.platform, probe.distro)}, or set ${facts.envVar} to its executable`;
}

/** The one line that says why `suite` does not run (missing `tool`) and how to get it; it names CI when failing. */
export function missingMessage(discovery: Discovery & { found: false }, suite: string, probe: SystemProbe): string {
  const { tool } = discovery;
  const how = howToGet(tool, probe);
  if (isCI(probe.env)) {
    const ciRun = probe.platform === 'linux' ? ' (.ci/run installs it on Debian)' : '';
    return `${discovery.problem}, and CI is set, so "${suite}" (${FACTS[tool].neededBy}) fails instead of being skipped: ${how}${ciRun}.`;
  }
  return `${discovery.problem}, so "${suite}" (${FACTS[tool].neededBy}) is skipped: ${how}.`;
}

const PLACEHOLDER = /^missing system dependency (chromium|nginx|redis-server)(?:: (.*))?$/s;

/**
 * The title of the one test a suite registers in place of its own when `tool` is missing: with the message for a
 * `todo` (whose title is all a reporter sees), without it for a failing test (whose error carries it).
 */
export function placeholderTitle(tool: SystemTool, message?: string): string {
  return `missing system dependency ${tool}${message === undefined ? '' : `: ${message}`}`;
}

/** The tool and message in a {@link placeholderTitle}, or undefined for any other test title. */
export function parsePlaceholder(title: string): { tool: SystemTool; message: string } | undefined {
  const match = PLACEHOLDER.exec(title);
  return match ? { tool: match[1] as SystemTool, message: match[2] ?? '' } : undefined;
}

/** The parts of jest's globals that {@link requireSystem} registers tests with. */
export interface SuiteRegistrar {
  describe(title: string, body: () => void): void;
  it(title: string, body: () => void): void;
  todo(title: string): void;
}

/** A suite's declared need for a program; see {@link requireSystem}. */
export interface SystemRequirement {
  readonly discovery: Discovery;
  /**
   * Declares the describe block `title`. With the program found, `body` registers it as usual and receives the
   * program's path. Without it, the block holds one placeholder instead: a failing test under CI, a `todo` elsewhere
   * (announced during the run and in the summary at its end).
   */
  describe(title: string, body: (executable: string) => void): void;
}

/** Thrown by the placeholder test under CI. */
export class SystemMissingError extends Error {
  override readonly name = 'SystemMissingError';
  readonly code = 'ERR_SYSTEM_MISSING';

  constructor(message: string) {
    super(message);
    // The message says all there is: no stack for jest to print a code frame from.
    this.stack = `${this.name}: ${message}`;
  }
}

const jestRegistrar: SuiteRegistrar = {
  describe: (title, body) => describe(title, body),
  it: (title, body) => it(title, body),
  todo: (title) => it.todo(title),
};

/**
 * Says that the suite about to be declared needs `tool`:
 *
 * ```ts
 * requireSystem('chromium').describe('the dashboard in Chromium', (chromiumPath) => { ... });
 * ```
 */
export function requireSystem(
  tool: SystemTool,
  probe: SystemProbe = hostProbe(),
  registrar: SuiteRegistrar = jestRegistrar,
): SystemRequirement {
  const discovery = findSystem(tool, probe);
  return {
    discovery,
    describe(title, body) {
      if (discovery.found) {
        registrar.describe(title, () => body(discovery.path));
        return;
      }
      const message = missingMessage(discovery, title, probe);
      registrar.describe(title, () => {
        if (isCI(probe.env)) {
          registrar.it(placeholderTitle(tool), () => {
            throw new SystemMissingError(message);
          });
        } else {
          registrar.todo(placeholderTitle(tool, message));
        }
      });
    },
  };
}

/**
 * The path of `tool`, for helpers called without {@link requireSystem}; throws {@link SystemMissingError}, saying
 * how to get it, when it is missing.
 */
export function systemPath(tool: SystemTool, probe: SystemProbe = hostProbe()): string {
  const discovery = findSystem(tool, probe);
  if (discovery.found) return discovery.path;
  throw new SystemMissingError(`${discovery.problem}, and ${FACTS[tool].neededBy} need it: ${howToGet(tool, probe)}.`);
}

function isExecutableFile(path: string, platform: NodeJS.Platform): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    // Windows has no execute bit: a file is enough.
    if (platform !== 'win32') accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readDistro(platform: NodeJS.Platform): string[] {
  if (platform !== 'linux') return [];
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return [...release.matchAll(/^(?:ID|ID_LIKE)=(.*)$/gm)].flatMap((m) =>
      (m[1] ?? '').replace(/["']/g, '').toLowerCase().split(/\s+/).filter(Boolean),
    );
  } catch {
    return [];
  }
}

/** Playwright's own Chromium for the installed playwright-core, if that package is there. */
function playwrightChromium(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: without playwright-core, no error
    const { chromium } = require('playwright-core') as { chromium: { executablePath(): string } };
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

/** The machine the tests run on. */
export function hostProbe(): SystemProbe {
  const platform = process.platform;
  return {
    env: process.env,
    platform,
    distro: readDistro(platform),
    isExecutable: (path) => isExecutableFile(path, platform),
    playwrightChromium,
  };
}
