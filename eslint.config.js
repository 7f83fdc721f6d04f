import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** Workflow code is replayed, so it must be deterministic: no Node built-ins and no I/O libraries. */
const workflowFiles = ['src/workflow/**/*.ts', 'test/fixtures/**/*workflows*.ts'];
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

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
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
          patterns: [
            { group: ['node:*'], message: 'Workflow code must be deterministic: no Node built-ins.' },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'kafkajs', 'ioredis', 'bottleneck', 'pino', '**/activity/**', '*-activities*'],
              allowTypeImports: true,
              message: 'Workflows reach the outside world only through activities: import their types, call them via proxyActivities.',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.{js,mjs}'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
