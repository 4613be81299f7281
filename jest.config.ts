import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
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
  testTimeout: 20_000,
};

export default config;
