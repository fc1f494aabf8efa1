// Sums vitest JSON reports (host and QEMU guest) into one closing line, and lists every
// skipped or todo test by name so that nothing skipped passes for a pass. Failures are
// listed last, with the start of their message, so that the tail of a CI log names them.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

let passed = 0, failed = 0, skipped = 0;
const notRun = [];
const failures = [];
const flaky = [];
// The first lines of a failure are what says which assertion broke; the stack below adds
// little in a log tail and can be long.
const firstLines = (message) =>
  String(message ?? '').split('\n').filter((l) => l.trim()).slice(0, 6).map((l) => `      ${l}`).join('\n');
/** One listed test: its file, its name, and the start of its (first) failure. */
const entry = (suite, name, message) => `${relative(process.cwd(), suite.name)}\n    ${name}\n${firstLines(message)}`;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('summarise-tests: no test report was written');
  process.exit(1);
}
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'passed') {
        passed++;
        // Vitest keeps the errors of earlier attempts on a test that passed on a retry.
        if ((t.failureMessages ?? []).length > 0) {
          flaky.push(entry(suite, t.fullName, t.failureMessages[0]));
        }
      }
      else if (t.status === 'failed') {
        failed++;
        failures.push(entry(suite, t.fullName, (t.failureMessages ?? [])[0]));
      }
      else {
        skipped++;
        notRun.push(`${t.status}: ${t.fullName}`);
      }
    }
    // A file that failed to load has no assertions but is a failure.
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
      failed++;
      failures.push(entry(suite, '(the file failed to load)', suite.message));
    }
  }
}
if (notRun.length) {
  console.log(`\nNot run here (${notRun.length}):`);
  for (const line of notRun) console.log(`  ${line}`);
}
if (flaky.length) {
  console.log(`\nFlaky: failed, then passed on a retry (${flaky.length}); fix these, do not ignore them:`);
  for (const f of flaky) console.log(`  ${f}`);
}
if (failures.length) {
  console.log(`\nFailed (${failures.length}):`);
  for (const f of failures) console.log(`  ${f}`);
}
if (flaky.length) console.log(`\n${flaky.length} of the passed tests needed a retry (listed under "Flaky" above).`);
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
