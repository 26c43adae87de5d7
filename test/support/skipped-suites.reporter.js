/**
 * Counts the suites that skipped, so the run can end with one line about them: without
 * TEST_DATABASE_URL the server suites (concurrency, shutdown, lock-down, the PostgreSQL and
 * PostgREST-on-PostgreSQL targets) skip themselves, and that should never pass unnoticed.
 * Jest prints its summary after every reporter, so the line is left for the global teardown
 * (skipped-suites.teardown.js), which runs after the summary. Plain CommonJS: Jest loads
 * reporters without transforming them.
 */
const LINE = Symbol.for('knowlarity-lead-sync.skippedSuitesLine');

class SkippedSuitesReporter {
  onRunComplete(_contexts, results) {
    const suites = new Set();
    let tests = 0;
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending' && test.status !== 'skipped') continue;
        tests += 1;
        suites.add(`${file.testFilePath}\u0000${test.ancestorTitles[0] ?? ''}`);
      }
    }
    if (tests === 0) return;
    const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const what = `${plural(suites.size, 'suite')} (${plural(tests, 'test')}) skipped`;
    globalThis[LINE] = process.env.TEST_DATABASE_URL
      ? `${what}.`
      : `${what}: they need a PostgreSQL server. Run them with ` +
        'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test';
  }
}

module.exports = SkippedSuitesReporter;
