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
  },
  moduleNameMapper: {
    '^rx-websocket$': '<rootDir>/lib/index.ts',
    '^rx-websocket/testing$': '<rootDir>/lib/testing/index.ts',
  },
  testTimeout: 20_000,
};

export default config;
