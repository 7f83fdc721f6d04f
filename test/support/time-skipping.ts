import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
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
  await writeFile(launcher, `#!/bin/sh\nexec '${java}' -Xms64m -Xmx512m -XX:+UseSerialGC -cp '${path.join(home, 'libs')}/*' io.temporal.testserver.TestServer "$@"\n`);
  await chmod(launcher, 0o755);
  return launcher;
}

export async function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: await timeSkippingServer() } } });
}
