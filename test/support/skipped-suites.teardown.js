/** Ends the run with the line skipped-suites.reporter.js left, if suites skipped. */
const LINE = Symbol.for('knowlarity-lead-sync.skippedSuitesLine');

module.exports = function printSkippedSuites() {
  const line = globalThis[LINE];
  if (line) process.stderr.write(`\n${line}\n`);
};
