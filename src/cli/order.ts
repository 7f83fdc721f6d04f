import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import type { DevTooling } from './dev-tooling.ts';

export function registerOrderCommand(program: Command, local: DevTooling | undefined): void {
  program
    .command('order')
    .argument('<orderId>', 'the order id, as in its events')
    .description("Where an order is, for support: its workflow's status and stage, events, payment and risk decision, what it published, its dead letters, and links to its trace and the Temporal UI; exits 1 for an unknown order")
    .option('--json', 'print the same as JSON')
    .option('--since <duration>', 'how far back to look for dead letters (7d, 24h, 30m): only the order key\'s partition of each DLQ is read, from then on', '7d')
    .action(async (orderId: string, options: { json?: boolean; since: string }) => {
      const config = loadConfig({ ...process.env, ...local?.localEnv(process.env) });
      const { lookUpOrder, formatOrderLookup, parseSince } = await import('../service/order-lookup.ts');
      const sinceMs = parseSince(options.since);
      const { createKafka } = await import('../kafka/client.ts');
      const { createTemporalClient, temporalSettings } = await import('../temporal/factory.ts');
      const kafka = createKafka(config, 'operator', createLogger({ ...config.log, level: 'warn' }));
      const admin = kafka.admin();
      await admin.connect();
      const client = await createTemporalClient(temporalSettings(config));
      try {
        const found = await lookUpOrder({ config, client, kafka, admin }, orderId, sinceMs);
        if (!found) {
          console.error(`oms order: no order ${orderId}: no workflow in namespace ${config.temporal.namespace} and no dead letter since ${new Date(sinceMs).toISOString()}`);
          process.exitCode = 1;
          return;
        }
        console.log(options.json ? JSON.stringify(found, null, 2) : formatOrderLookup(found));
      } finally {
        await admin.disconnect();
        await client.connection.close();
      }
    });
}
