/**
 * One jest run over every package. Tests run on the TypeScript sources (swc, no
 * type check: `pnpm typecheck` does that); workspace libs map to their src so a
 * test never depends on a stale build. Cross-service tests spawn the built
 * services, which is why `pnpm test` builds first.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/chaos/'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleNameMapper: { '^@switchyard/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' },
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  // Cross-service tests start processes; two workers keep a 2-core machine responsive.
  maxWorkers: 2,
};
