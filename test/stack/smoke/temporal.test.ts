import { fileURLToPath } from 'node:url';
import { expect, inject, test } from 'vitest';
import { createTemporalClient } from '../../../src/temporal/factory.ts';
import { loadKeyRing } from '../../../src/temporal/key-ring.ts';
import { createTemporalWorker, createWorkerConnection } from '../../../src/temporal/worker-factory.ts';
import { createSmokeActivities } from '../../fixtures/smoke-activities.ts';
import { smokeWorkflow } from '../../fixtures/smoke-workflows.ts';
import { uniqueName } from '../../support/names.ts';

test('a workflow runs its activity on a real worker and returns the result', async () => {
  const stack = inject('stack');
  const settings = { address: stack.temporalAddress, namespace: 'default', encryption: loadKeyRing({ keysFile: stack.temporalKeysFile })! };
  const taskQueue = uniqueName('smoke-queue');
  const connection = await createWorkerConnection(settings);
  const worker = await createTemporalWorker(connection, settings, {
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../../fixtures/smoke-workflows.ts', import.meta.url)),
    activities: createSmokeActivities({ greeting: 'Hello' }),
  });
  const client = await createTemporalClient(settings);
  const workflowId = uniqueName('smoke-wf');

  const result = await worker.runUntil(
    client.workflow.execute(smokeWorkflow, { taskQueue, workflowId, args: ['Temporal'] }),
  );

  expect(result).toBe(`Hello, Temporal; pid ${process.pid} (via workflow)`);
  // The server, not just the SDK, recorded a completed run with the activity in its history.
  const handle = client.workflow.getHandle(workflowId);
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  const history = await handle.fetchHistory();
  expect(history.events?.some((event) => event.activityTaskCompletedEventAttributes)).toBe(true);
  await client.connection.close();
  await connection.close();
});
