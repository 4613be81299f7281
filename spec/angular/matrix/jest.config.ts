/**
 * The Angular entry's behaviour specs (spec/angular/*.spec.ts) against one Angular version of the matrix: the project's
 * own jest setup (transforms, the `rx-websocket/*` mappings), with Angular resolved from the version's workspace.
 * run.mjs starts it with RXWS_ANGULAR_WORKSPACE and RXWS_ANGULAR_MAJOR set.
 */
import type { Config } from 'jest';
import { resolve } from 'node:path';
import root from '../../../jest.config';

const ROOT = resolve(__dirname, '..', '..', '..');
// The projects are typed loosely (`InitialProjectOptions`); the unit project is written as a `Config` there.
const unit = root.projects?.find((project) => typeof project === 'object' && project.displayName === 'unit') as
  Config | undefined;
if (!unit) throw new Error('jest.config.ts has no unit project to take the shared setup from');

const config: Config = {
  rootDir: ROOT,
  testEnvironment: unit.testEnvironment,
  transform: unit.transform,
  transformIgnorePatterns: unit.transformIgnorePatterns,
  moduleNameMapper: unit.moduleNameMapper,
  resolver: '<rootDir>/spec/angular/matrix/resolver.cjs',
  setupFilesAfterEnv: ['<rootDir>/spec/angular/matrix/angular-version.ts'],
  roots: ['<rootDir>/spec/angular'],
  testMatch: ['<rootDir>/spec/angular/*.spec.ts'],
  // The entry's size does not depend on Angular's version (Angular stays an import there).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/spec/angular/size\\.spec\\.ts$'],
  testTimeout: 20_000,
};

export default config;
