import { ConfigResourceTypes } from 'kafkajs';
import { expect, test } from 'vitest';
import { runOms } from '../../support/cli.ts';
import { uniqueName } from '../../support/names.ts';
import { untilReady, withRoleProcesses } from '../../support/roles.ts';

/**
 * Production, where a role's principal may not create topics: with KAFKA_CREATE_TOPICS=off (the
 * image's setting) a missing topic stops a role at start with one line, `oms topics apply` creates
 * every planned topic with its configs, and the role then starts.
 */
const { service, start } = withRoleProcesses();

test('with KAFKA_CREATE_TOPICS=off a missing topic is one line at start; oms topics apply creates them all, with their configs, and ingest then starts', { timeout: 180_000 }, async () => {
  const prefix = uniqueName('planned');
  const names = { TOPIC_ORDER_EVENTS: `${prefix}.orders`, TOPIC_PAYMENT_EVENTS: `${prefix}.payments`, TOPIC_SUPPORT_COMMANDS: `${prefix}.support`, TOPIC_FULFILLMENT: `${prefix}.fulfillment`, TOPIC_ORDER_STATUS: `${prefix}.status` };
  const env = { ...service().env, ...names, KAFKA_CREATE_TOPICS: 'off' };

  const refused = await runOms(['ingest'], env, 60_000);
  expect(refused.code).toBe(1);
  const lines = refused.stderr.trim().split('\n').filter((line) => line.startsWith('oms: '));
  expect(lines).toEqual([`oms: KAFKA: topic ${prefix}.orders does not exist (nor ${prefix}.payments, ${prefix}.support, ${prefix}.orders.dlq, ${prefix}.payments.dlq, ${prefix}.support.dlq), and KAFKA_CREATE_TOPICS is off: create the topics with \`oms topics apply\``]);
  const admin = service().kafka.admin();
  await admin.connect();
  try {
    expect((await admin.listTopics()).filter((topic) => topic.startsWith(prefix))).toEqual([]);

    const plan = await runOms(['topics', 'plan'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.split('\n').filter((line) => line.startsWith(prefix))).toHaveLength(8);

    const applied = await runOms(['topics', 'apply'], env, 60_000);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout.split('\n').filter((line) => line.startsWith(`created ${prefix}`))).toHaveLength(8);
    const created = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix)).sort();
    expect(created).toHaveLength(8);
    const partitions = (await admin.fetchTopicMetadata({ topics: created })).topics.map((topic) => topic.partitions.length);
    expect(new Set(partitions)).toEqual(new Set([service().config.topics.partitions]));
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: `${prefix}.orders.dlq`, configNames: ['retention.ms'] }] });
    expect(described.resources[0]!.configEntries.find((entry) => entry.configName === 'retention.ms')!.configValue).toBe(String(30 * 86_400_000));

    // Applying again changes nothing.
    const again = await runOms(['topics', 'apply'], env, 60_000);
    expect(again.stdout.split('\n').filter((line) => line.startsWith(`exists  ${prefix}`))).toHaveLength(8);

    const ingest = start(['ingest'], env);
    try {
      await untilReady(ingest, 90_000);
    } finally {
      await ingest.kill('SIGTERM');
    }
  } finally {
    await admin.disconnect();
  }
});
