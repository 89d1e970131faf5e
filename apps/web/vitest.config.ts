import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Set by .ci/run: each package also writes a JSON report there, from which CI counts passed and failed tests.
const jsonReportDir = process.env.VITEST_JSON_REPORT_DIR;

export default defineConfig({
  plugins: [react()],
  test: {
    reporters: jsonReportDir
      ? ['default', ['json', { outputFile: `${jsonReportDir}/web.json` }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'components',
          include: ['src/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          // A real server and Chromium on a shared 2-core machine: generous, never asserted on.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // expect.poll waits for the page (a streamed reply takes seconds), never asserts how long it took.
          expect: { poll: { timeout: 30_000, interval: 100 } },
        },
      },
    ],
  },
});
