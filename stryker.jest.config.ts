import type { Config } from 'jest';
import config from './jest.config';

/**
 * What mutation testing runs against each mutant: the `unit` project of jest.config.ts alone (virtual time, the test
 * kit's double, no servers), as a flat config so that the runner can wrap its test environment.
 */
const unit = config.projects?.find(
  (project): project is Exclude<typeof project, string> =>
    typeof project !== 'string' && project.displayName === 'unit',
);
if (unit === undefined) throw new Error('jest.config.ts has no unit project');
const { displayName: _name, ...settings } = unit;

const stryker: Config = { ...settings, rootDir: __dirname, testTimeout: config.testTimeout };

export default stryker;
