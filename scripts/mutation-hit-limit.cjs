// Loaded into each test runner process of `npm run mutate` (stryker.config.mjs, `testRunnerNodeArgs`).
//
// A mutant can turn a loop or a chain of calls endless; Stryker stops it by throwing from the mutated code once it
// has run far more often than in the run without mutants, and counts that mutant as timed out. When that throw
// happens inside an event listener (a Node `EventTarget`), Node reports it as an uncaught exception, which would end
// the test runner process and, after a few such ends, the whole run. This lets that one error go, so that the mutant
// is counted as Stryker intends; any other uncaught exception still ends the process as it would have.
'use strict';

process.on('uncaughtException', (error) => {
  if (error instanceof Error && error.message.startsWith('Stryker: Hit count limit reached')) return;
  console.error(error);
  process.exit(1);
});
