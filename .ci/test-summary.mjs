// Reads the vitest JSON reports written under each given directory (one file per package, VITEST_JSON_REPORT_DIR)
// and prints a line per package and backend, then the closing line `tests: N passed, M failed[, K skipped]`.
// A test file that failed before running any test (an import error, a failing beforeAll) counts as one failure.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const empty = [];

for (const dir of process.argv.slice(2)) {
  const run = path.basename(dir);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (files.length === 0) console.log(`${run}: no vitest reports (the test step did not get to run)`);
  for (const file of files.sort()) {
    const pkg = file.replace(/\.json$/, '');
    let r;
    try {
      r = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch {
      console.log(`${run} ${pkg}: unreadable report`);
      failed += 1;
      continue;
    }
    const brokenFiles = (r.testResults ?? []).filter(
      (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
    ).length;
    const p = r.numPassedTests ?? 0;
    const f = (r.numFailedTests ?? 0) + brokenFiles;
    const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    passed += p;
    failed += f;
    skipped += s;
    if ((r.numTotalTests ?? 0) === 0 && brokenFiles === 0) empty.push(`${pkg} (${run})`);
    // Not in the `N passed, M failed` form: only the closing line is the total.
    console.log(
      `${`${run} ${pkg}`.padEnd(18)} passed ${p}, failed ${f}, skipped ${s}, files ${(r.testResults ?? []).length}`,
    );
  }
}
if (empty.length) console.log(`ran no tests: ${empty.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
