import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { runDemo } from '../demo/demo.ts';
import { createLogger } from '../observability/logger.ts';
import { localEnv } from '../service/local.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Produce a bounded stream of realistic webhook events against the running service, show progress, and check the outcome')
    .option('--orders <n>', 'how many orders', (value) => Number.parseInt(value, 10), 24)
    .option('--timeout <seconds>', 'how long to wait for every order', (value) => Number.parseInt(value, 10), 180)
    .action(async (options: { orders: number; timeout: number }) => {
      const config = loadConfig({ ...process.env, ...localEnv(process.env) });
      const report = await runDemo(config, createLogger({ ...config.log, level: 'warn' }), { orders: options.orders, timeoutMs: options.timeout * 1_000, out: process.stderr });
      for (const line of report.lines) console.log(line);
      if (report.firstFulfillmentSeconds !== undefined) console.log(`first fulfillment message ${report.firstFulfillmentSeconds.toFixed(1)} s after the first event`);
      const ui = config.temporal.uiUrl ?? 'http://127.0.0.1:8233';
      console.log(`Temporal UI: ${ui}/namespaces/${config.temporal.namespace}/workflows`);
      console.log('Fulfillment messages as they are published: npx oms tail fulfillment --from-beginning');
      if (!report.ok) process.exitCode = 1;
    });
}
