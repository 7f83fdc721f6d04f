import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { untilPollingOrders, untilReady, withRoleProcesses } from '../../support/roles.ts';

/**
 * A role finds Temporal through Temporal's own client configuration: a profile of a TOML file, as the
 * SDKs and the CLI read it, with no TEMPORAL_ADDRESS set.
 */
const { service, start } = withRoleProcesses();

test('a workflow worker connects through a TOML profile named by TEMPORAL_PROFILE, and is ready', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'oms-profile-'));
  const file = path.join(dir, 'temporal.toml');
  const { address, namespace } = service().config.temporal;
  await writeFile(file, `[profile.default]\naddress = "127.0.0.1:1"\n\n[profile.local]\naddress = "${address}"\nnamespace = "${namespace}"\n`);
  // Empty counts as unset: only the profile says where Temporal is.
  const worker = start(['worker', '--queues', 'workflows'], { ...service().env, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'local' });
  try {
    await untilReady(worker, 90_000);
    // It polls the orders queue on that server and namespace: the profile's, not the default profile's.
    await untilPollingOrders(service(), worker);
    expect(worker.output()).not.toMatch(/deprecated/);
  } finally {
    await worker.kill('SIGTERM');
  }
});
