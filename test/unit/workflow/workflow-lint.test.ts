import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { expect, test } from 'vitest';

const workflowFile = fileURLToPath(new URL('../../../src/workflow/order-processing.ts', import.meta.url));

/** Lints the real workflow file with `imports` put in front, and returns the import-rule messages by line. */
async function importFindings(imports: string[]): Promise<string[]> {
  const source = await readFile(workflowFile, 'utf8');
  // Only the import rules, without type information: the same verdicts, in a second instead of a type-checked project.
  const eslint = new ESLint({
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
    ruleFilter: ({ ruleId }) => ruleId === '@typescript-eslint/no-restricted-imports' || ruleId === 'no-restricted-imports',
  });
  const [result] = await eslint.lintText(`${imports.join('\n')}\n${source}`, { filePath: workflowFile });
  return result!.messages.filter((message) => message.ruleId === '@typescript-eslint/no-restricted-imports').map((message) => `${message.line}: ${message.message.split(' import is')[0]}`);
}

test('workflow code imports only @temporalio/workflow, its own folder, the contract and the types of activities: anything else fails lint', async () => {
  expect(await importFindings([])).toEqual([]);
  const findings = await importFindings([
    "import { loadConfig } from '../config/config.ts';",
    "import type { Config } from '../config/config.ts';",
    "import { signalWithStart } from '../signal/signal-with-start.ts';",
    "import { readFileSync } from 'node:fs';",
    "import { ApplicationFailure as Failure } from '@temporalio/common';",
    "import { createStorefrontActivities } from '../activity/storefront/activities.ts';",
    "import type { StorefrontClient } from '../activity/storefront/client.ts';",
    "import { uuid4 } from '@temporalio/workflow';",
    "import type { PaymentActivities as Payments } from '../activity/payment/activities.ts';",
    "import { PATCHES as Patches } from '../contract/workflows.ts';",
  ]);
  expect(findings).toEqual([
    "1: '../config/config.ts'",
    "2: '../config/config.ts'",
    "3: '../signal/signal-with-start.ts'",
    "4: 'node:fs'",
    "5: '@temporalio/common'",
    "6: '../activity/storefront/activities.ts'",
    "7: '../activity/storefront/client.ts'",
  ]);
}, 60_000);
