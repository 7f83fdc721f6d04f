import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';

const configsOf = (configs: Record<string, string>) =>
  Object.entries(configs)
    .map(([name, value]) => `${name}=${value}`)
    .join(',');

export function registerTopicsCommands(program: Command): void {
  const topics = program.command('topics').description('The Kafka topics the service uses: plan prints them, apply creates the missing ones (for KAFKA_CREATE_TOPICS=off)');

  topics
    .command('plan')
    .description('Print every topic the service uses, with its partitions and configs, from the configuration (nothing is contacted); --format strimzi prints KafkaTopics')
    .option('--format <format>', 'table or strimzi', 'table')
    .action(async (options: { format: string }) => {
      if (options.format !== 'table' && options.format !== 'strimzi') throw new Error(`--format: expected table or strimzi, got "${options.format}"`);
      const { topicPlan } = await import('../service/topic-plan.ts');
      if (options.format === 'strimzi') return void process.stdout.write((await import('../service/strimzi-resources.ts')).strimziTopicsYaml(loadConfig()));
      const plan = topicPlan(loadConfig());
      const width = Math.max(...plan.map((topic) => topic.name.length));
      console.log(`${'TOPIC'.padEnd(width)}  PARTITIONS  CONFIGS`);
      for (const topic of plan) console.log(`${topic.name.padEnd(width)}  ${String(topic.partitions).padEnd(10)}  ${configsOf(topic.configs)}   # ${topic.purpose}`);
    });

  topics
    .command('apply')
    .description("Create the planned topics that don't exist yet, with their partitions and configs (an operator's credentials: CREATE on the cluster or the topics); existing ones are left as they are")
    .action(async () => {
      const config = loadConfig();
      const { topicPlan } = await import('../service/topic-plan.ts');
      const { createKafka, createTopics } = await import('../kafka/client.ts');
      const admin = createKafka(config, 'operator', createLogger({ ...config.log, level: 'warn' })).admin();
      await admin.connect();
      try {
        const plan = topicPlan(config);
        const existing = new Map((await admin.fetchTopicMetadata({ topics: [] })).topics.map((topic) => [topic.name, topic.partitions.length]));
        const missing = plan.filter((topic) => !existing.has(topic.name));
        if (missing.length > 0) await createTopics(admin, missing);
        for (const topic of plan) {
          const partitions = existing.get(topic.name);
          if (partitions === undefined) console.log(`created ${topic.name} (${topic.partitions} partitions, ${configsOf(topic.configs)})`);
          else console.log(`exists  ${topic.name} (${partitions} partitions${partitions < topic.partitions ? `; planned ${topic.partitions}: add them with kafka-topics --alter if you need the parallelism` : ''})`);
        }
      } finally {
        await admin.disconnect();
      }
    });
}
