// Sums vitest JSON reports (host and QEMU guest) into one closing line, and lists every
// skipped or todo test by name so that nothing skipped passes for a pass.
import { readFileSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0;
const notRun = [];
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('summarise-tests: no test report was written');
  process.exit(1);
}
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') failed++;
      else {
        skipped++;
        notRun.push(`${t.status}: ${t.fullName}`);
      }
    }
    // A file that failed to load has no assertions but is a failure.
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed++;
  }
}
if (notRun.length) {
  console.log(`\nNot run here (${notRun.length}):`);
  for (const line of notRun) console.log(`  ${line}`);
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
