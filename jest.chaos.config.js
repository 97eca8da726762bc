/**
 * `pnpm test:chaos`: the long failure scenarios of test/chaos (each holds an
 * outage for many seconds), on the same transform and mappings as jest.config.js.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/chaos'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 180_000,
};
