import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRegistryAuthProxy, type RegistryAuthProxy } from '../../../src/dev/secure/registry-auth-proxy.ts';
import { runOms } from '../../support/cli.ts';
import { startRole, untilReady } from '../../support/roles.ts';
import { startTestService, type TestService } from '../../support/service.ts';

/**
 * A registry that requires basic auth, as Confluent Cloud's does: the stack's Apicurio behind the
 * secured stack's proxy (Apicurio itself authenticates only through OpenID Connect).
 */
let service: TestService;
let proxy: RegistryAuthProxy;
const PASSWORD = 'registry-secret-7f3a9c1e';

beforeAll(async () => {
  service = await startTestService({ ingest: false, workerGroups: [] });
  const upstream = new URL(service.config.schemaRegistry.url!);
  proxy = await startRegistryAuthProxy({ upstream: upstream.origin, host: '127.0.0.1', port: 0, users: { 'oms-worker': PASSWORD } });
});
afterAll(async () => {
  await proxy?.close();
  await service?.stop();
});

const registryUrl = () => `${proxy.url}${new URL(service.config.schemaRegistry.url!).pathname}`;

test('the proxy refuses a request without credentials or with a wrong password, and passes one with the right ones', async () => {
  const subjects = `${registryUrl()}/subjects`;
  expect((await fetch(subjects)).status).toBe(401);
  expect((await fetch(subjects, { headers: { authorization: `Basic ${Buffer.from('oms-worker:wrong').toString('base64')}` } })).status).toBe(401);
  const admitted = await fetch(subjects, { headers: { authorization: `Basic ${Buffer.from(`oms-worker:${PASSWORD}`).toString('base64')}` } });
  expect(admitted.status).toBe(200);
  expect(Array.isArray(await admitted.json())).toBe(true);
});

test('the fulfillment worker registers its schemas through it with SCHEMA_REGISTRY_USERNAME and _PASSWORD, and is ready', { timeout: 120_000 }, async () => {
  const worker = startRole(['worker', '--queues', 'fulfillment'], { ...service.env, SCHEMA_REGISTRY_URL: registryUrl(), SCHEMA_REGISTRY_USERNAME: 'oms-worker', SCHEMA_REGISTRY_PASSWORD: PASSWORD });
  try {
    await untilReady(worker, 90_000);
    expect(worker.output()).not.toContain(PASSWORD);
  } finally {
    await worker.kill('SIGTERM');
  }
});

test('a wrong registry password, and no credentials, stop the worker at start with one line; the password appears nowhere', { timeout: 120_000 }, async () => {
  for (const [credentials, who] of [[{ SCHEMA_REGISTRY_USERNAME: 'oms-worker', SCHEMA_REGISTRY_PASSWORD: 'not-the-password-9d2b' }, 'the credentials of oms-worker'], [{}, 'a request without credentials']] as const) {
    const result = await runOms(['worker', '--queues', 'fulfillment'], { ...service.env, SCHEMA_REGISTRY_URL: registryUrl(), ...credentials }, 90_000);
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stderr.trim().split('\n').filter((line) => line.startsWith('oms: '));
    expect(lines).toEqual([`oms: SCHEMA_REGISTRY: ${registryUrl()} refused ${who} (HTTP 401): check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD`]);
    expect(result.stdout + result.stderr).not.toContain('not-the-password-9d2b');
  }
});
