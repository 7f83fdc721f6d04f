import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first. A folder may import from its own folder and from lower layers, never
 * from a peer or a higher one: the contract sits below both workflows and activities, the client factories
 * (kafka, temporal, avro) below everything that uses them, the wiring (service) and the commands above.
 */
export const LAYERS = [
  ['config'],
  ['observability'],
  ['contract'],
  ['event', 'kafka', 'temporal', 'avro'],
  ['activity'],
  ['workflow', 'router'],
  ['signal'],
  ['ingest', 'gateway'],
  ['replay'],
  ['service'],
  ['cli'],
  ['dev'],
];

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
              regex: '^(?!@temporalio/workflow$|@opentelemetry/api$|\\./[^/]+$|\\.\\./contract/[^/]+\\.ts$|\\.\\./activity/[^/]+/activities\\.ts$)',
              message: 'Workflow code is replayed and must be deterministic: it imports only @temporalio/workflow, the OpenTelemetry API (its spans make no commands), its own folder, the contract, and the types of activities.',
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
  // Layers: a folder of src/ imports only from its own folder and from lower layers. test/unit/layers.test.ts
  // checks the resolved import graph against the same list.
  ...LAYERS.flatMap((layer, rank) =>
    layer.map((folder) => ({ folder, above: [...LAYERS.slice(rank + 1).flat(), ...layer.filter((peer) => peer !== folder)] })),
  ).filter(({ folder, above }) => above.length > 0 || folder === 'gateway').map(({ folder, above }) => ({
      files: [`src/${folder}/**/*.{ts,mts,mjs}`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^\\.\\.?/(.*/)?(${above.join('|')})/`,
                message: 'An import of a peer or a higher layer (see LAYERS in eslint.config.js): take what you need as a dependency (see src/service/order-signaller.ts), or move the shared part down.',
              },
              ...(folder === 'gateway'
                ? [
                    {
                      // The gateway turns HTTP into Kafka records and knows nothing of Temporal: it never holds the payload keys.
                      regex: '(^|/)(router|signal|workflow|activity|temporal|avro)/',
                      message: 'The gateway depends on the event contract, Kafka, config and observability only; wire anything else in src/service/gateway.ts.',
                    },
                  ]
                : []),
            ],
          },
        ],
      },
    })),
  { files: ['**/*.{js,mjs}'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
