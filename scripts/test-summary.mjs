// Prints jest's JSON result as the plain "N passed, N failed" line CI reads, and
// exits non-zero when anything failed or no test ran.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'jest-results.json';
let result;
try {
  result = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log('0 passed, 1 failed');
  console.error(`no jest result in ${file}: ${err.message}`);
  process.exit(1);
}
const failedSuites = result.numFailedTestSuites ?? 0;
const failed = result.numFailedTests + (failedSuites > 0 && result.numFailedTests === 0 ? failedSuites : 0);
const skipped = result.numPendingTests + (result.numTodoTests ?? 0);
console.log(`${result.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || result.numPassedTests === 0 ? 1 : 0);
