import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));
/** One real stack for every project that needs one; set per project, as the root's would also run for the logic tests. */
const globalSetup = ['test/support/global-stack.ts'];

export default defineConfig({
  test: {
    root,
    setupFiles: ['test/support/worker-setup.ts'],
    // Tests share one real stack; each uses its own topics, subjects, task queues and limiter ids.
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // Two cores: a few files at a time keeps the brokers and the worker bundler responsive.
    maxWorkers: 2,
    // A skipped test in CI is a failure (see .ci/run); locally it is allowed but reported.
    allowOnly: false,
    // CI also writes a JSON report, which .ci/run reads to fail the run on any skipped or todo test.
    reporters: process.env.OMS_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.OMS_TEST_REPORT ? { json: process.env.OMS_TEST_REPORT } : undefined,
    // Tiers, one folder each, in the order they run: unit (no stack, seconds), logic (Temporal's
    // time-skipping server), limits, the stack tests by area, scale, faults.
    projects: [
      // Pure code: no stack, no time-skipping server; `npm run test:unit` is feedback in seconds.
      { test: { name: 'unit', root, include: ['test/unit/**/*.test.ts'], setupFiles: ['test/support/worker-setup.ts'], testTimeout: 60_000, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      // Workflow logic on Temporal's time-skipping test server, with activity doubles: no stack (it does not
      // extend the root, so no global stack set-up), early, so a broken workflow fails the run in a minute.
      { test: { name: 'logic', root, include: ['test/logic/**/*.test.ts'], globalSetup: ['test/support/time-skipping-setup.ts'], setupFiles: ['test/support/logic-setup.ts'], testTimeout: 120_000, hookTimeout: 180_000, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      // The storefront limit is checked as the stand-in counts arrivals in one-second windows: beside the rest
      // of the suite, on two busy cores, the stand-in and the senders both run late and the windows say more
      // about the machine. It runs first on the stack, alone, once the stack's JVMs have settled.
      { extends: true, test: { globalSetup, name: 'limits', include: ['test/limits/**/*.test.ts'], sequence: { groupOrder: 2 } } },
      { extends: true, test: { globalSetup, name: 'stack', include: ['test/stack/**/*.test.ts'], sequence: { groupOrder: 3 } } },
      // Many instances of every role: a dozen processes take both cores, so it runs alone, between the
      // stack tests and the fault tests.
      { extends: true, test: { globalSetup, name: 'scale', include: ['test/scale/**/*.test.ts'], sequence: { groupOrder: 4 } } },
      // The fault tests kill and restart processes under a stream of orders, so they run after the rest and
      // one at a time: on two cores, a worker restarting beside an ingest restart (the worker bundles its
      // workflow code) slows the ingest's take-over. The infrastructure faults come last, alone, as their
      // private stack's JVMs take both cores while they boot.
      { extends: true, test: { globalSetup, name: 'faults', include: ['test/faults/roles/**/*.test.ts'], sequence: { groupOrder: 5 }, fileParallelism: false } },
      { extends: true, test: { globalSetup, name: 'stack-faults', include: ['test/faults/stack/**/*.test.ts'], sequence: { groupOrder: 6 } } },
    ],
  },
});
