import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import type { DevTooling } from './dev-tooling.ts';
import { untilStopSignal } from './stop-signal.ts';

export function registerTailCommand(program: Command, local: DevTooling | undefined): void {
  program
    .command('tail')
    .argument('<what>', 'fulfillment, status, or a topic name')
    .description('Print the records of an output topic as JSON lines, Avro decoded, until Ctrl-C')
    .option('--from-beginning', 'start at the beginning instead of the end')
    .action(async (what: string, options: { fromBeginning?: boolean }) => {
      const env = { ...process.env, ...local?.localEnv(process.env) };
      const config = loadConfig(env);
      const topic = what === 'fulfillment' ? config.topics.fulfillment : what === 'status' ? config.topics.orderStatus : what;
      // Loaded here, not at the top: `oms` itself, and the roles most of all, start fast.
      const { createSchemaRegistry } = await import('../avro/publisher.ts');
      const { createKafka } = await import('../kafka/client.ts');
      const registry = createSchemaRegistry(config);
      const consumer = createKafka(config, 'tail', createLogger({ ...config.log, level: 'warn' })).consumer({ groupId: `oms-tail-${randomUUID()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? false });
      console.error(`[tail] ${topic}: waiting for records (Ctrl-C to stop)`);
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const value: unknown = message.value ? await registry.decode(message.value).catch(() => message.value!.toString()) : null;
          console.log(JSON.stringify({ partition, offset: message.offset, key: message.key?.toString(), value }));
        },
      });
      await untilStopSignal();
      await consumer.disconnect();
    });
}
