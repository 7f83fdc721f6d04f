import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createCertificateAuthority } from '../../../src/dev/secure/certificates.ts';
import { nativeDown, secureUp } from '../../../src/dev/native/stack.ts';
import type { ServiceName } from '../../../src/dev/native/services.ts';
import type { SecureStack } from '../../../src/dev/secure/secure-stack.ts';
import { runOms } from '../../support/cli.ts';
import { randomPort } from '../../support/names.ts';
import { untilReady, withRoleProcesses, type RoleProcess } from '../../support/roles.ts';

/**
 * The secured stack, as production runs it (`oms dev up --secure`, here in front of the suite's
 * stack): Kafka over SASL_SSL with a SCRAM user and least-privilege ACLs per role, no automatic
 * topic creation, Temporal behind mTLS, the registry behind basic auth. Every role is a process with
 * its own principal; a role with another's credentials, a wrong password or an untrusted broker stops
 * at start with one line, at once.
 */
const SECRETS = { commerce: ['commerce-secret-0123456789abcd'], payments: ['whsec_payments-0123456789abcdef'], support: ['support-secret-0123456789abcdef'] };
const { service, start } = withRoleProcesses();
let secure: SecureStack;
let started: ServiceName[] = [];
const outputs: string[] = [];

beforeAll(async () => {
  // Topics are left for `oms topics apply` (the first test), as in production.
  const up = await secureUp({ upstream: inject('stack'), configEnv: service().env, createTopics: false });
  secure = up.secure;
  started = up.started;
}, 180_000);
afterAll(async () => {
  await nativeDown({ only: started });
});

type Principal = keyof SecureStack['env'];
/** A role as `principal`, over the secured endpoints; its output is kept for the secrets check. */
function startAs(principal: Principal, args: string[], env: Record<string, string> = {}): RoleProcess {
  const role = start(args, { ...secure.env[principal], ...env });
  void role.exited.then(() => outputs.push(role.output()));
  return role;
}

/** Starts a role that must refuse to start: its exit code, how long it took, and the line it printed. */
async function refusal(principal: Principal, args: string[], env: Record<string, string> = {}) {
  const startedAt = performance.now();
  const role = startAs(principal, args, env);
  const code = await role.exited;
  const lines = role.output().split('\n').filter((line) => line.startsWith('oms: '));
  return { code, seconds: (performance.now() - startedAt) / 1_000, lines, output: role.output() };
}

test('KAFKA_CREATE_TOPICS=off with the topics missing: ingest names one in one line; `oms topics apply` is refused to the gateway\'s principal, creates them as oms-operator, and ingest starts', { timeout: 180_000 }, async () => {
  const missing = await refusal('ingest', ['ingest']);
  expect(missing.code).toBe(1);
  expect(missing.lines, missing.output).toEqual([expect.stringMatching(/^oms: KAFKA: topic \S+ does not exist \(nor .+\), and KAFKA_CREATE_TOPICS is off: create the topics with `oms topics apply`$/)]);

  // Only the operator may create them.
  const refused = await runOms(['topics', 'apply'], { ...service().env, ...secure.env.gateway }, 120_000);
  outputs.push(refused.stdout, refused.stderr);
  expect(refused.code).toBe(1);
  expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^oms: KAFKA: User:oms-gateway may not CREATE topic \S+$/)]);

  const apply = await runOms(['topics', 'apply'], { ...service().env, ...secure.env.operator }, 120_000);
  outputs.push(apply.stdout, apply.stderr);
  expect(apply.code, apply.stderr).toBe(0);
  expect(apply.stdout).toContain(`created ${service().config.topics.fulfillment}`);
  const again = await runOms(['topics', 'apply'], { ...service().env, ...secure.env.operator }, 120_000);
  expect(again.stdout).toContain(`exists  ${service().config.topics.fulfillment}`);

  const ingest = startAs('ingest', ['ingest']);
  await untilReady(ingest, 90_000);
  await ingest.kill('SIGTERM');
});

test('a role given another role\'s credentials stops at start with one line naming the principal, the operation and the resource', { timeout: 180_000 }, async () => {
  const { topics, ingest } = service().config;
  const cases: [Principal, string[], string][] = [
    // The gateway's principal trying to read (as ingest).
    ['gateway', ['ingest'], `oms: KAFKA: User:oms-gateway may not READ group ${ingest.groupId}`],
    // Ingest's principal trying to write the fulfilment topic (as the fulfilment worker).
    ['ingest', ['worker', '--queues', 'fulfillment'], `oms: KAFKA: User:oms-ingest may not WRITE topic ${topics.fulfillment}`],
    // The worker's principal trying to read a group (as ingest).
    ['worker', ['ingest'], `oms: KAFKA: User:oms-worker may not READ group ${ingest.groupId}`],
  ];
  const results = await Promise.all(cases.map(([principal, args]) => refusal(principal, args)));
  for (const [k, result] of results.entries()) {
    expect(result.code, result.output).toBe(1);
    expect(result.lines, result.output).toEqual([cases[k]![2]]);
    // Refused, not retried: a generous floor that only a retry loop would miss.
    expect(result.seconds).toBeLessThan(60);
  }
});

test('a wrong Kafka password, and a broker certificate from an untrusted CA, each stop a role at start with one line', { timeout: 180_000 }, async () => {
  const stranger = path.join(path.dirname(secure.envFiles.admin), 'stranger-ca.pem');
  await writeFile(stranger, createCertificateAuthority('a CA the broker does not use').cert);
  const [password, untrusted] = await Promise.all([
    refusal('ingest', ['ingest'], { KAFKA_SASL_PASSWORD: 'not-the-password' }),
    refusal('ingest', ['ingest'], { KAFKA_SSL_CA_PATH: stranger }),
  ]);
  expect(password.code, password.output).toBe(1);
  expect(password.lines, password.output).toEqual(['oms: KAFKA: User:oms-ingest could not log in (SASL SCRAM-SHA-512): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD']);
  expect(untrusted.code, untrusted.output).toBe(1);
  expect(untrusted.lines, untrusted.output).toEqual([expect.stringMatching(/^oms: KAFKA: the certificate of broker 127\.0\.0\.1:\d+ is not trusted \([A-Z_]+\): set KAFKA_SSL_CA_PATH to the CA that signed it$/)]);
  for (const result of [password, untrusted]) expect(result.seconds).toBeLessThan(60);
});

test('the whole flow on the secured stack, each role its own principal: the demo, one order of each kind, through oms gateway', { timeout: 420_000 }, async () => {
  const gatewayPort = randomPort();
  const gatewayEnv = { GATEWAY_PORT: gatewayPort, GATEWAY_SECRETS: JSON.stringify(SECRETS) };
  const gateway = startAs('gateway', ['gateway'], gatewayEnv);
  const ingest = startAs('ingest', ['ingest']);
  const worker = startAs('worker', ['worker']);
  await Promise.all([gateway, ingest, worker].map((role) => untilReady(role, 150_000)));
  // The demo reads the output topics as the admin, and decodes them with the operator's registry login.
  const demoEnv = {
    ...service().env,
    ...secure.env.admin,
    SCHEMA_REGISTRY_USERNAME: secure.env.operator.SCHEMA_REGISTRY_USERNAME!,
    SCHEMA_REGISTRY_PASSWORD: secure.env.operator.SCHEMA_REGISTRY_PASSWORD!,
    ...gatewayEnv,
    HTTP_PORT: new URL(ingest.base).port,
  };
  const demo = await runOms(['demo', '--orders', '8', '--via', 'gateway', '--timeout', '240'], demoEnv, 360_000);
  outputs.push(demo.stdout, demo.stderr);
  expect(demo.code, `${demo.stdout}\n${demo.stderr}\n--- ingest ---\n${ingest.output().slice(-3_000)}\n--- worker ---\n${worker.output().slice(-3_000)}`).toBe(0);
  expect(demo.stdout).toMatch(/^OK: all 8 valid orders have exactly one fulfillment message \(2 normal, 1 payment-first, 1 duplicates, 1 invalid-then-corrected, 1 pending-payment, 1 high-risk, 1 payment-retry\)/m);
  await Promise.all([gateway, ingest, worker].map((role) => role.kill('SIGTERM')));
});

test('nothing secret in any output: no password, no key, and `oms config` masks them', { timeout: 60_000 }, async () => {
  const config = await runOms(['config'], { ...service().env, ...secure.env.worker });
  expect(config.code, config.stderr).toBe(0);
  expect(config.stdout).toMatch(/^KAFKA_SASL_PASSWORD=\*\*\*$/m);
  outputs.push(config.stdout, config.stderr);
  const material = JSON.parse(await readFile(path.join(path.dirname(secure.env.worker.KAFKA_SSL_CA_PATH!), 'material.json'), 'utf8')) as { kafkaPasswords: Record<string, string>; registryPasswords: Record<string, string> };
  const secrets = [...Object.values(material.kafkaPasswords), ...Object.values(material.registryPasswords)];
  const key = (await readFile(secure.env.worker.TEMPORAL_TLS_CLIENT_KEY_PATH!, 'utf8')).split('\n').filter((line) => !line.startsWith('-----')).join('').slice(0, 64);
  expect(secrets).toHaveLength(7);
  expect(outputs.length).toBeGreaterThan(10);
  const everything = outputs.join('\n');
  for (const secret of [...secrets, key]) expect(everything.includes(secret), 'a secret in the output').toBe(false);
  // And the check can fail: the worker's environment holds its password.
  expect(JSON.stringify(secure.env.worker)).toContain(material.kafkaPasswords.worker);
});
