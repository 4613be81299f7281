/* global __filename */
// jest loads reporters without its transform: this one is TypeScript, so it comes in through tsx.
const tsx = require('tsx/cjs/api');

module.exports = tsx.require('./system-reporter.ts', __filename).default;
