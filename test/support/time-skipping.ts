import { chmod, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ORDER_STAGE_ATTRIBUTE } from '../../src/contract/workflows.ts';
import { cachePaths } from '../../src/dev/native/paths.ts';
import { javaBinary } from '../../src/dev/native/stack.ts';
import { installToolchain, toolHome } from '../../src/dev/native/toolchain.ts';

/**
 * Temporal's time-skipping test server: its jars pinned in the local stack's toolchain, run by the
 * stack's java, through a launcher the SDK runs as its `existing-path` executable (it passes the port
 * as the one argument).
 */
export async function timeSkippingServer(): Promise<string> {
  const paths = cachePaths();
  const [server] = await installToolchain(paths, () => undefined, ['temporal-test-server']);
  const java = await javaBinary(paths, () => undefined);
  const home = toolHome(paths, server!);
  const launcher = path.join(home, 'temporal-test-server');
  // Written aside and renamed: another test file may be running the launcher (ETXTBSY on a write in place).
  const fresh = `${launcher}.${process.pid}`;
  await writeFile(fresh, `#!/bin/sh\nexec '${java}' -Xms64m -Xmx512m -XX:+UseSerialGC -cp '${path.join(home, 'libs')}/*' io.temporal.testserver.TestServer "$@"\n`);
  await chmod(fresh, 0o755);
  await rename(fresh, launcher);
  return launcher;
}

/** The time-skipping server, with the order stage attribute registered as on a real namespace (the workflow's upserts fail without it). */
export async function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: await timeSkippingServer() } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { [ORDER_STAGE_ATTRIBUTE.name]: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  });
  return env;
}
