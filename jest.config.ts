import type { Config } from 'jest';

type Project = NonNullable<Config['projects']>[number] & object;

const shared: Project = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', isolatedModules: true },
        diagnostics: false,
      },
    ],
    // Angular ships ES modules only: the TestBed specs (spec/angular) need them as CommonJS.
    '^.+/@angular/.+\\.mjs$': '<rootDir>/spec/angular/esm-to-cjs.mjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!@angular/)'],
  moduleNameMapper: {
    '^rx-websocket$': '<rootDir>/lib/index.ts',
    '^rx-websocket/testing$': '<rootDir>/lib/testing/index.ts',
    '^rx-websocket/angular$': '<rootDir>/lib/angular/index.ts',
  },
};

/**
 * The fast specs, `npm run test:unit`: the library's own folders, the testing kit and the test helpers. No browser,
 * no nginx, no child processes, no package build, no sockets beyond the test kit's double.
 */
const UNIT = ['core', 'features', 'reconnect', 'testing', 'helpers'];

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', roots: UNIT.map((dir) => `<rootDir>/spec/${dir}`), testMatch: ['**/*.spec.ts'] },
    // Everything else (a new folder lands here): integration with real servers on loopback, browser, reliability,
    // the built package, the bench.
    {
      ...shared,
      displayName: 'system',
      roots: ['<rootDir>/spec'],
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...UNIT.map((dir) => `<rootDir>/spec/${dir}/`)],
    },
  ],
  // Suites that need a missing program (Chromium, nginx, redis-server) are announced, then listed at the end.
  reporters: ['default', '<rootDir>/spec/helpers/system-reporter.entry.cjs'],
  testTimeout: 20_000,
};

export default config;
