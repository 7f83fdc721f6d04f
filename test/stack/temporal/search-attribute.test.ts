import { randomUUID } from 'node:crypto';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { expect, test, vi } from 'vitest';
import { ORDER_STAGE_ATTRIBUTE } from '../../../src/contract/workflows.ts';
import { runOms } from '../../support/cli.ts';
import { untilReady, withRoleProcesses } from '../../support/roles.ts';

/**
 * The order workflow sets OmsOrderStage (v5): on a namespace without it every such workflow task would
 * fail and retry for ever, so a workflow worker stops at start with one line saying how to register it.
 */
const { service, start } = withRoleProcesses();

test('a workflow worker on a namespace without the stage attribute stops at start with one line naming it and the command that registers it; registered, it starts', { timeout: 120_000 }, async () => {
  const namespace = `oms-no-attribute-${randomUUID().slice(0, 8)}`;
  const { workflowService, operatorService } = service().temporal.connection;
  await workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await vi.waitFor(() => workflowService.describeNamespace({ namespace }), { timeout: 30_000, interval: 500 });

  const env = { ...service().env, TEMPORAL_NAMESPACE: namespace };
  const refused = await runOms(['worker', '--queues', 'workflows'], env, 60_000);
  expect(refused.code).toBe(1);
  const lines = refused.stderr.trim().split('\n');
  expect(lines.at(-1)).toBe(
    `oms: TEMPORAL: search attribute ${ORDER_STAGE_ATTRIBUTE.name} is not registered on namespace ${namespace}; register it once: temporal operator search-attribute create --namespace ${namespace} --name ${ORDER_STAGE_ATTRIBUTE.name} --type Keyword`,
  );

  const ready = async (args: string[]) => {
    const role = start(args, env);
    try {
      await untilReady(role, 60_000);
    } finally {
      await role.kill('SIGTERM');
    }
  };
  // Activity workers never set it, and don't ask.
  await ready(['worker', '--queues', 'storefront']);
  await operatorService.addSearchAttributes({ namespace, searchAttributes: { [ORDER_STAGE_ATTRIBUTE.name]: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } });
  await ready(['worker', '--queues', 'workflows']);
});
