import { defineConfig } from 'vitest/config';

// Set by .ci/run: each package also writes a JSON report there, from which CI counts passed and failed tests.
const jsonReportDir = process.env.VITEST_JSON_REPORT_DIR;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // PGlite boots and migrates in 3 to 9 s on a loaded 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: jsonReportDir
      ? ['default', ['json', { outputFile: `${jsonReportDir}/db.json` }]]
      : ['default'],
  },
});
