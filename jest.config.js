/** Unit specs live beside the code (src/**\/*.spec.ts); e2e and database suites in test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  // The default output, then (after Jest's summary) one line saying how many suites skipped
  // and, without TEST_DATABASE_URL, how to run them.
  reporters: ['default', '<rootDir>/test/support/skipped-suites.reporter.js'],
  globalTeardown: '<rootDir>/test/support/skipped-suites.teardown.js',
};
