import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Workflow code is replayed, so it must be deterministic: no Node built-ins and no I/O libraries. */
const workflowFiles = ['src/workflow/**/*.ts', 'test/fixtures/**/*workflows*.ts'];

export default defineConfig(
  { ignores: ['node_modules/', '.cache/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Activities and callbacks are async to fit their interfaces even when their body is synchronous.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: workflowFiles,
    rules: {
      // An allowlist: whatever a workflow imports that is not named here (config, the router, the signal
      // module, Node, any I/O library) fails lint, including things that don't exist yet.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/workflow$|\\./[^/]+$|\\.\\./activity/[^/]+/activities\\.ts$)',
              message: 'Workflow code is replayed and must be deterministic: it imports only @temporalio/workflow, its own folder, and the types of activities.',
            },
            {
              regex: '^\\.\\./activity/[^/]+/activities\\.ts$',
              allowTypeImports: true,
              message: 'Workflows reach the outside world only through activities: import their types, call them via proxyActivities.',
            },
          ],
        },
      ],
    },
  },
  {
    // Lower layers don't import upper ones: activities, config and the event contract know nothing of how events arrive.
    files: ['src/activity/**/*.ts', 'src/config/**/*.ts', 'src/event/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(event|gateway|router|signal|ingest|replay|service|cli|dev)/',
              message: 'A lower layer imports an upper one: take what you need as a dependency (see src/service/order-signaller.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    // The gateway turns HTTP into Kafka records and knows nothing of Temporal: it never holds the payload keys.
    files: ['src/gateway/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(router|signal|ingest|replay|workflow|activity|temporal|avro|service|cli|dev)/',
              message: 'The gateway depends on the event contract, config and observability only; wire anything else in src/service/gateway.ts.',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.{js,mjs}'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
