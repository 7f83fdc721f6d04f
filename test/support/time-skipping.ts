import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { fingerprint, installOnce, mavenCopyDependencies } from '../../src/dev/native/install.ts';
import { cachePaths } from '../../src/dev/native/paths.ts';

const POM = fileURLToPath(new URL('./time-skipping/pom.xml', import.meta.url));

/**
 * Temporal's time-skipping test server, installed once from Maven Central into the cache, and a
 * launcher the SDK runs as its `existing-path` executable (it passes the port as the one argument).
 */
export async function timeSkippingServer(): Promise<string> {
  const paths = cachePaths();
  const home = paths.service('temporal-test-server').home;
  const launcher = path.join(home, 'temporal-test-server');
  const pom = await readFile(POM, 'utf8');
  await installOnce(home, fingerprint(pom), async (dir) => {
    const log = path.join(dir, 'install.log');
    await mavenCopyDependencies('mvn', POM, path.join(dir, 'libs'), paths.downloads, log);
    await writeFile(launcher, `#!/bin/sh\nexec java -Xms64m -Xmx512m -XX:+UseSerialGC -cp '${path.join(dir, 'libs')}/*' io.temporal.testserver.TestServer "$@"\n`);
    await chmod(launcher, 0o755);
  });
  return launcher;
}

export async function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: await timeSkippingServer() } } });
}
