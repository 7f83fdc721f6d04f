import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { accessPlan, roleAccess } from '../../../src/service/access-plan.ts';
import { kafkaAclsCommands } from '../../../src/service/strimzi-resources.ts';
import { topicPlan } from '../../../src/service/topic-plan.ts';

const config = loadConfig({ TOPIC_ORDER_EVENTS: 'shop.orders', INGEST_GROUP_ID: 'bridge' });
const grantsOf = (role: Parameters<typeof roleAccess>[1]) => roleAccess(config, role).grants;
const ops = (role: Parameters<typeof roleAccess>[1]) => new Set(grantsOf(role).flatMap((grant) => grant.operations));

test('each role gets the least it needs, for the configured topics and group', () => {
  expect(accessPlan(config).map((access) => access.principal)).toEqual(['User:oms-ingest', 'User:oms-worker', 'User:oms-gateway', 'User:oms-operator']);
  expect(grantsOf('ingest')).toContainEqual(expect.objectContaining({ resource: 'group', name: 'bridge', operations: ['READ'] }));
  expect(grantsOf('ingest')).toContainEqual(expect.objectContaining({ resource: 'topic', name: 'shop.orders', operations: ['READ'] }));
  expect(grantsOf('ingest')).toContainEqual(expect.objectContaining({ resource: 'topic', name: 'shop.orders.dlq', operations: ['WRITE'] }));
  // The gateway and the worker only write; nobody but the operator creates or deletes; the operator writes nothing.
  expect([...ops('gateway')]).toEqual(['WRITE']);
  expect([...ops('worker')]).toEqual(['WRITE']);
  expect(grantsOf('worker').map((grant) => grant.name).sort()).toEqual([config.topics.fulfillment, config.topics.orderStatus].sort());
  expect(ops('operator').has('WRITE')).toBe(false);
  for (const role of ['ingest', 'worker', 'gateway'] as const) expect(ops(role).has('CREATE') || ops(role).has('DELETE')).toBe(false);
  // Only the operator's throw-away groups are prefixed.
  expect(accessPlan(config).flatMap((access) => access.grants.filter((grant) => grant.pattern === 'prefixed').map((grant) => `${access.role}:${grant.name}`))).toEqual(['operator:oms-replay-', 'operator:oms-tail-']);
});

test('every planned topic has a writer and a reader (or is an output), and the operator may create each', () => {
  const plan = accessPlan(config);
  for (const { name } of topicPlan(config)) {
    const holders = (operation: string) => plan.filter((access) => access.grants.some((grant) => grant.name === name && grant.operations.includes(operation as never))).map((access) => access.role);
    expect(holders('WRITE').length, `${name} writer`).toBeGreaterThan(0);
    expect(holders('READ'), `${name} readers`).toContain('operator');
    expect(holders('CREATE'), `${name} creator`).toEqual(['operator']);
  }
});

test('as kafka-acls commands: one per grant, prefixed groups marked', () => {
  const commands = kafkaAclsCommands(config, 'kafka:9093');
  expect(commands).toHaveLength(accessPlan(config).reduce((sum, access) => sum + access.grants.length, 0));
  expect(commands).toContain('kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:oms-ingest --operation Read --group bridge');
  expect(commands).toContain('kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:oms-operator --operation Read --operation Delete --group oms-replay- --resource-pattern-type prefixed');
});
