import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-stack.ts'],
    setupFiles: ['test/support/worker-setup.ts'],
    // Tests share one real stack; each uses its own topics, subjects, task queues and limiter ids.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: a few files at a time keeps the brokers and the worker bundler responsive.
    maxWorkers: 2,
    // A skipped test in CI is a failure (see .ci/run); locally it is allowed but reported.
    allowOnly: false,
    // CI also writes a JSON report, which .ci/run reads to fail the run on any skipped or todo test.
    reporters: process.env.OMS_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.OMS_TEST_REPORT ? { json: process.env.OMS_TEST_REPORT } : undefined,
  },
});
