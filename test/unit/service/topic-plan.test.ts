import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { plannedTopics, topicPlan } from '../../../src/service/topic-plan.ts';

test('the plan holds every topic the roles use, at TOPIC_PARTITIONS, with a week of retention for events and a month for dead letters', () => {
  const config = loadConfig({ TOPIC_PARTITIONS: '6', TOPIC_ORDER_EVENTS: 'shop.orders' });
  const plan = topicPlan(config);
  const { topics } = config;
  expect(plan.map((topic) => topic.name)).toEqual([
    'shop.orders', topics.paymentEvents, topics.supportCommands,
    'shop.orders.dlq', `${topics.paymentEvents}.dlq`, `${topics.supportCommands}.dlq`,
    topics.fulfillment, topics.orderStatus,
  ]);
  expect(new Set(plan.map((topic) => topic.partitions))).toEqual(new Set([6]));
  expect(plan.find((topic) => topic.name === 'shop.orders')!.configs).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': String(7 * 86_400_000) });
  expect(plan.find((topic) => topic.name === 'shop.orders.dlq')!.configs['retention.ms']).toBe(String(30 * 86_400_000));
  // A role asks for its own, as planned.
  expect(plannedTopics(config, [topics.fulfillment])).toEqual([plan.find((topic) => topic.name === topics.fulfillment)]);
});

test('KAFKA_CREATE_TOPICS is auto unless said off; anything else is one line naming it', () => {
  expect(loadConfig({}).kafka.createTopics).toBe('auto');
  expect(loadConfig({ KAFKA_CREATE_TOPICS: 'off' }).kafka.createTopics).toBe('off');
  expect(() => loadConfig({ KAFKA_CREATE_TOPICS: 'never' })).toThrow('invalid configuration: KAFKA_CREATE_TOPICS: expected auto or off, got "never"');
});
